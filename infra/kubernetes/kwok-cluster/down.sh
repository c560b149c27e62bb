#!/usr/bin/env bash
# Stop the throw-away control plane that up.sh started in DIR (by the pids it recorded there, each
# checked to still be the process up.sh started: its command line names DIR or the etcd data dir),
# then delete DIR. `--keep` leaves DIR (its logs) in place.
# Usage: down.sh DIR [--keep]
set -euo pipefail
log() { printf 'cyrop kwok-cluster: %s\n' "$*" >&2; }
DIR=${1:?usage: down.sh DIR [--keep]}
KEEP=${2:-}
[ -d "$DIR" ] || exit 0
DIR=$(cd "$DIR" && pwd)
ours() { # pid: alive, and started with a command line naming DIR (every daemon's names a file in it)
  local cmd
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $cmd == *"$DIR/"* ]]
}
pids=()
for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f=$DIR/$c.pid
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$f"
done
for ((i = 0; i < 50; i++)); do
  left=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
  [ $left = 0 ] && break
  sleep 0.2
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
if [ "$KEEP" != --keep ]; then
  rm -rf "$DIR"
fi
log "down: ${#pids[@]} process(es) stopped${KEEP:+, $DIR kept}"
