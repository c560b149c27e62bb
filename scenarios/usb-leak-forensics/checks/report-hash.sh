#!/bin/sh
# Objective "evidence-hash": passes when ~/report.txt of the trainee names the SHA-256 of the
# recovered archive. Runs as root on the workstation.
expected=$(cat /var/lib/cyrop/archive.sha256)
report=/home/trainee/report.txt
if [ ! -f "$report" ]; then
  echo "there is no $report yet"
  exit 1
fi
if grep -qi "$expected" "$report"; then
  echo "report.txt records the SHA-256 of the recovered archive"
  exit 0
fi
echo "report.txt does not contain the SHA-256 of the recovered q3-designs.tar.gz"
exit 1
