#!/usr/bin/env bash
# Make sure Debian's `chromium` (/usr/bin/chromium, driven by playwright-core with `executablePath`)
# and `firefox-esr` (/usr/bin/firefox-esr, driven over WebDriver BiDi) are installed for the browser
# tests (tests/e2e/), with a Japanese font so that the
# Japanese screenshots show text rather than empty boxes. No tool downloads its own browser.
# Idempotent and quiet when everything is already there. Needs root (or passwordless sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
log() { printf 'cyrop: %s\n' "$*" >&2; }

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/firefox-esr ] || need+=(firefox-esr)
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi

log "installing ${need[*]} (Debian packages)"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for browser in /usr/bin/chromium /usr/bin/firefox-esr; do
  if [ ! -x "$browser" ]; then
    log "the browsers were installed but $browser is missing"
    exit 1
  fi
done
