#!/bin/sh
# Objective "shadow-permissions": passes when /etc/shadow belongs to root, its group is root or
# shadow, and other users cannot read or write it. Runs as root on srv01.
set -- $(stat -c '%a %U %G' /etc/shadow)
mode=$1 owner=$2 group=$3
if [ "$owner" != root ]; then
  echo "/etc/shadow belongs to $owner, not root"
  exit 1
fi
case "$group" in
  root|shadow) ;;
  *) echo "/etc/shadow has group $group (expected shadow or root)"; exit 1 ;;
esac
case "$mode" in
  *0) ;;
  *) echo "/etc/shadow has mode $mode: other users can still read it"; exit 1 ;;
esac
case "$mode" in
  *[2367]?) echo "/etc/shadow has mode $mode: its group can write it"; exit 1 ;;
esac
echo "/etc/shadow has mode $mode, owner $owner, group $group"
