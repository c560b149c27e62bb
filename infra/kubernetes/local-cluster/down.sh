#!/usr/bin/env bash
# Stop the local cluster: kill its pods' containers, stop every daemon this cluster started (by the
# pids it recorded), unmount what they left mounted under its own directories, and delete the
# network namespace with its veth pair. Idempotent; the Docker engine is never touched.
# The cluster's data (etcd, certificates, registry contents, cached binaries) stays, so the next
# `up.sh` is a warm start; pass --purge to delete $STATE as well (binaries stay cached).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
. "$HERE/env.sh"

PURGE=false
for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=true ;;
    *) log "unknown argument $arg (usage: down.sh [--purge])"; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { log "down.sh needs root"; exit 1; }

# stop NAME...: TERM to each that runs, wait until all have ended, KILL what is left after 10 s.
stop() {
  local name pid i pids=()
  for name in "$@"; do
    if alive "$name"; then
      pid=$(pid_of "$name")
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for ((i = 0; i < 50; i++)); do
    local left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ "$left" -eq 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for name in "$@"; do rm -f "$RUN/$name.pid" "$RUN/$name.exe" "$RUN/$name.spec"; done
}

# The kubelet first, so it restarts nothing; then the pods' containers through our containerd.
stop kubelet
if alive containerd; then
  ctr_k8s() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }
  netns_paths=()
  for id in $(ctr_k8s containers ls -q 2>/dev/null); do
    p=$(ctr_k8s containers info "$id" 2>/dev/null | jq -r '.Spec.linux.namespaces[]? | select(.type=="network") | .path // empty' 2>/dev/null || true)
    [ -n "$p" ] && netns_paths+=("$p")
    ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      ctr_k8s tasks delete "$id" >/dev/null 2>&1 && break
      sleep 0.3
    done
  done
  # Pod network namespaces the CRI made (under /run/netns/cni-*): gone with the pods.
  for p in $(printf '%s\n' "${netns_paths[@]}" | sort -u); do
    case "$p" in
      /var/run/netns/cni-* | /run/netns/cni-*)
        umount "$p" 2>/dev/null || true
        rm -f "$p"
        ;;
    esac
  done
fi
# The API's clients together, then the apiserver, etcd (a clean shutdown of its store), containerd.
stop registry-pull registry-push coredns kube-router kube-proxy kube-scheduler kube-controller-manager
stop kube-apiserver
stop etcd
stop containerd

# Mounts left under our own directories (pod volumes, sandbox shm, snapshots), deepest first.
{ findmnt -rn -o TARGET | grep -E "^($STATE|$RUN)/" || true; } | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
done
# Every pod is gone: free their addresses.
rm -rf "${STATE:?}/cni/ipam"

if ip link show "$HOST_IF" >/dev/null 2>&1; then ip link del "$HOST_IF"; fi
if [ -e "$NETNS_PATH" ]; then
  ip netns del "$NETNS"
  log "network namespace $NETNS deleted"
fi
if $PURGE; then
  rm -rf "${STATE:?}" "${RUN:?}"
  log "deleted $STATE"
fi
log "cluster stopped"
