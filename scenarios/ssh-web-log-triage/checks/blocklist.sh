#!/bin/sh
# Objective "blocklist": passes when the SOC blocklist lists the brute-force source and none of
# the company's own addresses (the office NAT 192.0.2.10 and the monitoring host 10.0.0.5).
# Runs as root on logsrv.
list=/srv/blocklist/ips.txt
attacker=$(cat /var/lib/cyrop/attacker-ip)
if [ ! -f "$list" ]; then
  echo "$list is missing"
  exit 1
fi
entries=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')
for own in 192.0.2.10 10.0.0.5; do
  if printf '%s\n' "$entries" | grep -qxF "$own"; then
    echo "the blocklist contains $own, one of the company's own addresses"
    exit 1
  fi
done
if ! printf '%s\n' "$entries" | grep -qxF "$attacker"; then
  echo "the blocklist does not list the brute-force source yet"
  exit 1
fi
echo "the brute-force source is blocked"
