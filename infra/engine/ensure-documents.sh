#!/usr/bin/env bash
# Make sure the Debian packages the document renderers (orchestrator/src/documents/) and their tests
# need are installed: `fonts-ipafont-gothic` (IPAGothic, the Japanese font embedded, as a subset, in
# every PDF invoice and transcript) and `poppler-utils` (`pdftotext` and `pdftoppm`, with which the
# tests read the PDFs back). `npm run test:unit` runs this first. Idempotent, and quiet and quick
# (two file tests) when everything is already there. Needs root (or passwordless sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
log() { printf 'cyrop: %s\n' "$*" >&2; }

need=()
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
{ [ -x /usr/bin/pdftotext ] && [ -x /usr/bin/pdftoppm ]; } || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi

log "installing ${need[*]} (Debian packages)"
# Other scripts may hold the dpkg lock (ensure-browsers.sh, a parallel suite): wait for it.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for tool in /usr/bin/pdftotext /usr/bin/pdftoppm /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf; do
  if [ ! -e "$tool" ]; then
    log "the packages were installed but $tool is missing"
    exit 1
  fi
done
