#!/bin/sh
# Objective "remove-rogue-account": passes when the attacker's account no longer exists and no
# account other than root has uid 0. Runs as root on app01.
rogue=$(cat /var/lib/cyrop/rogue-user)
if getent passwd "$rogue" >/dev/null; then
  echo "the account $rogue still exists"
  exit 1
fi
others=$(awk -F: '$3 == 0 && $1 != "root" { print $1 }' /etc/passwd)
if [ -n "$others" ]; then
  echo "accounts other than root have uid 0: $others"
  exit 1
fi
echo "the rogue account is gone"
