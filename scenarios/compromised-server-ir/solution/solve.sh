#!/bin/bash
# Scripted solution of compromised-server-ir. Run on the `responder` console as `trainee`, with
# ROOT_PW set to the root password given in the description of the objective backdoor-port.
# Follows the README's "How it is solved"; prints `ANSWER <objective> <value>` per flag/question
# and evicts the attacker from app01 over SSH in the right order (remove-persistence,
# kill-backdoor, remove-rogue-account, revoke-attacker-keys).
set -euo pipefail
: "${ROOT_PW:?set ROOT_PW to the root password in the description of the objective backdoor-port}"

HOST=app01
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# backdoor-port: every TCP port; app01 should only serve 22 and 8080. The dropper restarts the
# backdoor every minute, so scan again for a while if it is not up yet.
port=
for _ in 1 2 3 4 5 6; do
  nmap -p- -T4 -oG scan.gnmap "$HOST" >&2
  port=$(grep -o '[0-9]*/open/tcp' scan.gnmap | cut -d/ -f1 | grep -vx -e 22 -e 8080 | head -n 1 || true)
  [ -n "$port" ] && break
  sleep 15
done
echo "ANSWER backdoor-port $port"

# backdoor-banner: the session id in the bind shell's banner.
session=$(printf 'id\nexit\n' | nc -N -w 10 "$HOST" "$port")
printf '%s\n' "$session" >&2
echo "ANSWER backdoor-banner $(printf '%s\n' "$session" | grep 'session' | grep -o 'CYROP{[0-9a-f]*}' | head -n 1)"

# The investigation and the containment, as root on app01. KEY=VALUE lines on stdout.
sshpass -p "$ROOT_PW" ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$WORK/known_hosts" \
  "root@$HOST" "PORT=$port bash -s" > findings <<'REMOTE'
set -eu
exec 3>&1 1>&2   # findings on fd 3, everything else is the log
ss -ltnp
pid=$(ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
ps -o pid,user,lstart,args -p "$pid"
rogue=$(ps -o user= -p "$pid" | tr -d ' ')
ps -eo pid,user,lstart,args | grep -v grep | grep kworker || true
# What starts it: a cron entry running a dropper.
grep -r . /etc/cron.d/
cron_file=$(grep -lE 'font-unix|updater\.sh' /etc/cron.d/* | head -n 1)
dropper=$(awk '!/^#/ && NF >= 7 { print $7; exit }' "$cron_file")
cat "$dropper"
c2=$(sed -n 's/^H=//p' "$dropper" | sed -E 's#^https?://([^:/]+).*#\1#')
campaign=$(sed -n 's/^K="$(echo \([A-Za-z0-9+/=]*\) | base64 -d)"$/\1/p' "$dropper" | base64 -d)
echo "C2=$c2" >&3
echo "CAMPAIGN=$campaign" >&3
echo "rogue account: $rogue"
find / -xdev -name 'authorized_keys*' 2>/dev/null | xargs grep -H . || true

# Keep the evidence, then contain in order: persistence, process, account, keys.
drop_dir=$(dirname "$dropper")
tar czf /root/evidence-app01.tar.gz "$cron_file" "$drop_dir" "$(getent passwd "$rogue" | cut -d: -f6)/.ssh" 2>/dev/null || true
rm -f "$cron_file"
rm -rf "$drop_dir"
pkill -u "$rogue" || true
for _ in $(seq 1 20); do
  pgrep -u "$rogue" >/dev/null || break
  sleep 0.5
done
userdel -r "$rogue"
attacker_key=$(grep -h 'root@kali$' /root/.ssh/authorized_keys | awk '{print $2}' | head -n 1)
for f in $(find / -xdev -name 'authorized_keys*' -type f 2>/dev/null); do
  if [ -n "$attacker_key" ] && grep -qF "$attacker_key" "$f"; then
    grep -vF "$attacker_key" "$f" > "$f.new" || true
    cat "$f.new" > "$f"
    rm -f "$f.new"
    echo "removed the attacker's key from $f"
  fi
done
cat /root/.ssh/authorized_keys
ss -ltn
REMOTE

echo "ANSWER c2-address $(sed -n 's/^C2=//p' findings)"
echo "ANSWER campaign-id $(sed -n 's/^CAMPAIGN=//p' findings)"
