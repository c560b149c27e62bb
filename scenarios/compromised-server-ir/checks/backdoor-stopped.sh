#!/bin/sh
# Objective "kill-backdoor": passes when the bind shell is neither listening nor running, and the
# catalogue web site on port 8080 still is. Runs as root on app01.
port=$(cat /var/lib/cyrop/backdoor-port)
if ss -Hltn "sport = :$port" | grep -q .; then
  echo "something still listens on tcp/$port"
  exit 1
fi
if pgrep -f 'kworker\.py' >/dev/null; then
  echo "a kworker.py process is still running"
  exit 1
fi
if ! ss -Hltn 'sport = :8080' | grep -q .; then
  echo "the catalogue web site on tcp/8080 is down: only the attacker's process had to go"
  exit 1
fi
echo "the bind shell is stopped and the catalogue still runs"
