#!/bin/bash
# Scripted solution of usb-leak-forensics. Run on the `workstation` console as `trainee`.
# Follows the README's "How it is solved"; prints `ANSWER <objective> <value>` per flag/question
# and records the SHA-256 of the recovered archive in ~/report.txt (objective evidence-hash).
set -euo pipefail

CASE=/srv/case
IMAGE=$CASE/usb.img
cat "$CASE/README.txt" >&2
H=$(ls -d "$CASE"/home-* | head -n 1)

# drop-host: the scp destination in the bash history.
scp_line=$(grep '^scp ' "$H/.bash_history" | head -n 1)
echo "$scp_line" >&2
drop_host=$(printf '%s\n' "$scp_line" | sed -E 's/.* [^@ ]+@([^: ]+):.*/\1/')
echo "ANSWER drop-host $drop_host"

# copy-time: the "#epoch" line just before that command, in UTC.
epoch=$(grep -B1 '^scp ' "$H/.bash_history" | head -n 1 | tr -d '#')
echo "ANSWER copy-time $(date -u -d "@$epoch" '+%F %T')"

# deleted-archive: the deleted name and its inode, recovered with icat (work on copies).
mkdir -p ~/work && cd ~/work
fls -r -d "$IMAGE" >&2
inode=$(fls -r -d "$IMAGE" | grep 'q3-designs.tar.gz' | head -n 1 | sed -E 's/^[^*]*\* ([0-9]+).*/\1/')
istat "$IMAGE" "$inode" | head -n 12 >&2
icat "$IMAGE" "$inode" > q3-designs.tar.gz
file q3-designs.tar.gz >&2
tar -xzvf q3-designs.tar.gz >&2
deleted_flag=$(sed -n 's/^Transfer reference: *//p' q3-designs/summary.txt)
echo "ANSWER deleted-archive $deleted_flag"

# evidence-hash: the SHA-256 of the recovered archive in ~/report.txt.
sha256sum q3-designs.tar.gz | tee -a ~/report.txt >&2

# hidden-file: a zip appended to DCIM/IMG_2041.jpg.
fls -r "$IMAGE" >&2
fcat DCIM/IMG_2041.jpg "$IMAGE" > IMG_2041.jpg
file IMG_2041.jpg >&2
unzip -o IMG_2041.jpg >&2 || true   # unzip warns about the bytes before the zip (exit 1)
hidden_flag=$(sed -n 's/^Contact reference: *//p' buyer-contacts.txt)
echo "ANSWER hidden-file $hidden_flag"
