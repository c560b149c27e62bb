#!/usr/bin/env bash
# Make sure a Docker engine answers on /var/run/docker.sock: install Debian's docker.io (and the
# tools image builds need) when missing, start dockerd in the background when none answers.
# Idempotent and quiet when everything is already there. Needs root (or passwordless sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
log() { printf 'cyrop: %s\n' "$*" >&2; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} (Debian packages)"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then exit 0; fi

log "starting dockerd (log: /var/log/cyrop-dockerd.log)"
# In a session of its own: the daemon must outlive the shell, test run or job that started it
# (ending a process group, as CI runners and terminals do, would otherwise take dockerd with it).
$SUDO setsid sh -c 'nohup dockerd >/var/log/cyrop-dockerd.log 2>&1 </dev/null &'
for _ in $(seq 1 60); do
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/cyrop-dockerd.log"
tail -n 20 /var/log/cyrop-dockerd.log >&2 || true
exit 1
