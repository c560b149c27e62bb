#!/bin/bash
# Scripted solution of packet-cleartext-leak. Run on the `analyst` console as `trainee`.
# Follows the README's "How it is solved"; prints `ANSWER <objective> <value>` per flag/question
# and rotates the leaked intranet password (objective rotate-password).
set -euo pipefail

PCAP=/srv/evidence/uplink.pcap
INTRANET=http://intranet.kitahama.example:8080
# A new password that no capture has seen (the intranet wants at least 12 characters).
NEW_PASSWORD=${NEW_PASSWORD:-Rotated-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')}

tshark -r "$PCAP" -qz io,phs >&2

# scanner: the source with the most SYNs without ACK.
scanner=$(tshark -r "$PCAP" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e ip.src |
  sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
echo "ANSWER scanner $scanner"

# ftp-password: USER and PASS per TCP stream; the anonymous attempt is a decoy.
ftp=$(tshark -r "$PCAP" -Y 'ftp.request.command == "USER" || ftp.request.command == "PASS"' \
  -T fields -e tcp.stream -e ftp.request.command -e ftp.request.arg)
printf '%s\n' "$ftp" >&2
ftp_password=$(printf '%s\n' "$ftp" | awk -F '\t' '
  $2 == "USER" { user[$1] = $3 }
  $2 == "PASS" && user[$1] != "anonymous" { print $3; exit }')
echo "ANSWER ftp-password $ftp_password"

# intranet: the Basic credentials from the capture, then the live report.
credentials=$(tshark -r "$PCAP" -Y http.authorization -T fields -e http.authbasic | head -n 1)
web_user=${credentials%%:*}
web_password=${credentials#*:}
echo "intranet credentials: $web_user / $web_password" >&2
report=$(curl -sS -f -u "$web_user:$web_password" "$INTRANET/reports/q3-forecast.txt")
printf '%s\n' "$report" >&2
intranet_flag=$(printf '%s\n' "$report" | sed -n 's/^Document control number: *//p')
echo "ANSWER intranet $intranet_flag"

# dns-exfil: numbered queries under cloudsync-cdn.example, second label hex.
exfil=$(tshark -r "$PCAP" -Y 'dns.flags.response == 0 && dns.qry.name contains "cloudsync-cdn"' \
  -T fields -e dns.qry.name | grep -E '^[0-9]+\.' | sort -t. -k1,1n | cut -d. -f2 | tr -d '\n' | xxd -r -p)
echo "ANSWER dns-exfil $exfil"

# rotate-password: the intranet's own endpoint (documented on its start page).
curl -sS -f -u "$web_user:$web_password" "$INTRANET/" >&2
curl -sS -f -u "$web_user:$web_password" --data-urlencode "new=$NEW_PASSWORD" "$INTRANET/account/password" >&2
status=$(curl -s -o /dev/null -w '%{http_code}' -u "$web_user:$web_password" "$INTRANET/reports/")
echo "the leaked password now gets HTTP $status" >&2
[ "$status" = 401 ]
