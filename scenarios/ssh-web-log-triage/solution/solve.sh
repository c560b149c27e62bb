#!/bin/bash
# Scripted solution of ssh-web-log-triage. Run on the `soc-ws` console as `trainee`, with
# ANALYST_PW set to the password given in the description of the objective bruteforce-ip.
# Follows the README's "How it is solved"; prints `ANSWER <objective> <value>` per question/flag
# and adds the attacker to the SOC blocklist on logsrv (objective blocklist).
set -euo pipefail
: "${ANALYST_PW:?set ANALYST_PW to the password in the description of the objective bruteforce-ip}"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
on_logsrv() {
  sshpass -p "$ANALYST_PW" ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$WORK/known_hosts" \
    analyst@logsrv "$@"
}

on_logsrv 'cd /var/log/remote/web01 && ls -la' >&2

# The triage runs on logsrv (where the logs are); it prints KEY=VALUE lines.
on_logsrv 'bash -s' > "$WORK/findings" <<'REMOTE'
set -eu
cd /var/log/remote/web01
# bruteforce-ip: rank the sources of failed passwords (field NF-3 is the address).
grep 'Failed password' auth.log | awk '{print $(NF-3)}' | sort | uniq -c | sort -rn | head -3 >&2
ip=$(grep 'Failed password' auth.log | awk '{print $(NF-3)}' | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
echo "IP=$ip"
# compromised-account and first-login-time: its first Accepted line.
accepted=$(grep 'Accepted' auth.log | grep -F " from $ip " | head -n 1)
echo "$accepted" >&2
echo "USER=$(echo "$accepted" | sed -E 's/.*Accepted [a-z]+ for ([^ ]+) from .*/\1/')"
echo "TIME=$(echo "$accepted" | awk '{print $3}')"
# webshell-path: past the scanner's 404s, the requests that pass a cmd parameter.
grep -F "$ip " access.log | grep -v '" 404 ' | awk '{print $6, $7, $9}' >&2
echo "SHELL=$(grep -F "$ip " access.log | grep -o '"GET [^ ?]*?cmd=' | head -n 1 | sed -E 's/^"GET ([^?]*)\?cmd=$/\1/')"
# planted-token: URL-decode the echo command, then base64-decode its argument.
command=$(grep -F "$ip " access.log | grep -o 'cmd=echo[^ ]*' | head -n 1 |
  python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read().strip()[4:]))')
echo "$command" >&2
echo "TOKEN=$(echo "$command" | awk '{print $2}' | base64 -d)"
# blocklist: only the attacker (192.0.2.10 is the office, 10.0.0.5 the monitoring host).
grep -qxF "$ip" /srv/blocklist/ips.txt || echo "$ip" >> /srv/blocklist/ips.txt
cat /srv/blocklist/ips.txt >&2
REMOTE

value() { sed -n "s/^$1=//p" "$WORK/findings"; }
echo "ANSWER bruteforce-ip $(value IP)"
echo "ANSWER compromised-account $(value USER)"
echo "ANSWER first-login-time $(value TIME)"
echo "ANSWER webshell-path $(value SHELL)"
echo "ANSWER planted-token $(value TOKEN)"
