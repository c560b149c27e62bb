#!/bin/sh
# Objective "sshd-config": passes when the effective sshd configuration refuses password logins
# and root password logins, and the running sshd has been reloaded with it. Runs as root on srv01.
if ! config=$(/usr/sbin/sshd -T 2>&1); then
  echo "sshd -T fails: $config"
  exit 1
fi
value() { printf '%s\n' "$config" | awk -v key="$1" '$1 == key { print $2; exit }'; }

root_login=$(value permitrootlogin)
case "$root_login" in
  no|prohibit-password|without-password) ;;
  *) echo "PermitRootLogin is $root_login in the effective configuration (see sshd -T)"; exit 1 ;;
esac
if [ "$(value passwordauthentication)" != no ]; then
  echo "PasswordAuthentication is $(value passwordauthentication) in the effective configuration (see sshd -T)"
  exit 1
fi
if [ "$(value kbdinteractiveauthentication)" != no ]; then
  echo "KbdInteractiveAuthentication is enabled: PAM would still accept passwords"
  exit 1
fi

# Ask the running daemon which methods it offers.
methods=$(ssh -v -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o ConnectTimeout=5 cyrop-probe@127.0.0.1 true 2>&1 |
  tr -d '\r' | sed -n 's/.*Authentications that can continue: //p' | head -n 1)
if [ -z "$methods" ]; then
  echo "sshd does not answer on 127.0.0.1:22"
  exit 1
fi
case ",$methods," in
  *,password,*|*,keyboard-interactive,*)
    echo "the running sshd still offers '$methods': reload it (kill -HUP \$(cat /run/sshd.pid))"
    exit 1
    ;;
esac
echo "sshd allows only: $methods; PermitRootLogin $root_login"
