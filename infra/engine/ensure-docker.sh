#!/usr/bin/env bash
# Make sure a Docker engine answers on /var/run/docker.sock and can cap each container's disk use:
# install Debian's docker.io (and the tools image builds and the data root need) when missing, and
# start dockerd in the background when none answers, with its data root on a btrfs file system
# (a sparse file, loop-mounted) so that `--storage-opt size=` works. Idempotent and quiet when
# everything is already there. Needs root (or passwordless sudo).
#
# Why btrfs: Docker caps a container's writable layer only with btrfs quota groups or XFS project
# quotas. overlay2 on ext4 (the usual case) cannot, and kernels built without XFS quota support
# (as on our machines) leave btrfs as the one that works.
#
# A dockerd that already runs on another storage driver is left alone and the script fails, saying
# so, unless it is called with --switch: then that dockerd is stopped (refused while containers
# run, unless --force) and started again on the btrfs data root. Nothing is deleted: the old data
# root stays where it was, and `cyrop images build` builds the images again on the new one.
#
# Settings (environment): CYROP_DOCKER_DATA_ROOT (mount point and data root, default
# /var/lib/cyrop-docker), CYROP_DOCKER_FS_FILE (the sparse file, default /var/lib/cyrop-docker.btrfs),
# CYROP_DOCKER_FS_SIZE (its size when made, e.g. 100G; default 80% of the free space, 16G to 256G),
# CYROP_DOCKERD_SOCKET / CYROP_DOCKERD_PIDFILE / CYROP_DOCKERD_ARGS (another dockerd, for tests).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
log() { printf 'cyrop: %s\n' "$*" >&2; }

SWITCH=false
FORCE=false
for arg in "$@"; do
  case "$arg" in
    --switch) SWITCH=true ;;
    --force) FORCE=true ;;
    *) log "unknown argument $arg (usage: ensure-docker.sh [--switch [--force]])"; exit 2 ;;
  esac
done

DATA_ROOT=${CYROP_DOCKER_DATA_ROOT:-/var/lib/cyrop-docker}
FS_FILE=${CYROP_DOCKER_FS_FILE:-/var/lib/cyrop-docker.btrfs}
SOCKET=${CYROP_DOCKERD_SOCKET:-/var/run/docker.sock}
PIDFILE=${CYROP_DOCKERD_PIDFILE:-/var/run/docker.pid}
EXTRA_ARGS=${CYROP_DOCKERD_ARGS:-}
LOG=/var/log/cyrop-dockerd${CYROP_DOCKERD_SOCKET:+-$(basename "$SOCKET" .sock)}.log
dk() { docker -H "unix://$SOCKET" "$@"; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v mkfs.btrfs >/dev/null 2>&1 || need+=(btrfs-progs)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} (Debian packages)"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# CPU for the platform: Docker (cgroupfs driver) puts every container under the `docker` cgroup,
# which competes with the machine's own processes at the weight of one ordinary process (1024).
# A quarter of that keeps the platform answering while scenario containers use every core.
weigh_containers() {
  if [ -d /sys/fs/cgroup/cpu ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
    $SUDO mkdir -p /sys/fs/cgroup/cpu/docker
    echo 256 | $SUDO tee /sys/fs/cgroup/cpu/docker/cpu.shares >/dev/null || log "could not lower the CPU weight of containers"
  elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    $SUDO mkdir -p /sys/fs/cgroup/docker
    echo 25 | $SUDO tee /sys/fs/cgroup/docker/cpu.weight >/dev/null 2>&1 || log "could not lower the CPU weight of containers"
  fi
}

if driver=$(dk info --format '{{.Driver}}' 2>/dev/null); then
  if [ "$driver" = btrfs ]; then
    [ -n "${CYROP_DOCKERD_SOCKET:-}" ] || weigh_containers
    exit 0
  fi
  if ! $SWITCH; then
    log "the running dockerd ($SOCKET) stores containers with $driver, which cannot cap a scenario host's disk use (resources.disk)."
    log "To move it onto a btrfs data root at $DATA_ROOT, run: bash infra/engine/ensure-docker.sh --switch"
    log "(that stops this dockerd and every container on it, starts it again on the new data root and leaves the old one as it is;"
    log " then 'npx cyrop images build' builds the images again). Or run the platform with CYROP_DISK_LIMITS=off (no disk cap)."
    exit 1
  fi
  running=$(dk ps -q | wc -l)
  if [ "$running" -gt 0 ] && ! $FORCE; then
    log "$running containers run on this dockerd: stop them first, or pass --switch --force to stop them with it"
    exit 1
  fi
  pid=$($SUDO cat "$PIDFILE" 2>/dev/null || true)
  if [ -z "$pid" ] || ! $SUDO kill -0 "$pid" 2>/dev/null; then
    log "cannot find the running dockerd's process ($PIDFILE): stop it yourself, then run this script again"
    exit 1
  fi
  log "stopping dockerd (pid $pid) to start it again on btrfs"
  $SUDO kill -TERM "$pid"
  for _ in $(seq 1 60); do
    $SUDO kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if $SUDO kill -0 "$pid" 2>/dev/null; then
    log "dockerd (pid $pid) did not stop within 60 s"
    exit 1
  fi
fi

if [ -f /etc/docker/daemon.json ] && grep -Eq '"(data-root|storage-driver|graph)"' /etc/docker/daemon.json; then
  log "/etc/docker/daemon.json sets data-root or storage-driver, which this script sets on the command line: remove them"
  exit 1
fi

# The data root: a btrfs file system in a sparse file, made once, mounted when it is not.
if ! mountpoint -q "$DATA_ROOT"; then
  if ! grep -qw btrfs /proc/filesystems && ! $SUDO modprobe btrfs 2>/dev/null; then
    log "this kernel has no btrfs, which Docker needs here to cap container disk use"
    exit 1
  fi
  if [ ! -e "$FS_FILE" ]; then
    size=${CYROP_DOCKER_FS_SIZE:-}
    if [ -z "$size" ]; then
      $SUDO mkdir -p "$(dirname "$FS_FILE")"
      free_gib=$(($(df --output=avail -B1G "$(dirname "$FS_FILE")" | tail -1) * 8 / 10))
      size="$((free_gib < 16 ? 16 : free_gib > 256 ? 256 : free_gib))G"
    fi
    log "making Docker's data root: a $size btrfs file system in $FS_FILE (sparse: it takes what is written)"
    $SUDO truncate -s "$size" "$FS_FILE.tmp"
    $SUDO mkfs.btrfs -q -f "$FS_FILE.tmp" >/dev/null
    $SUDO mv "$FS_FILE.tmp" "$FS_FILE"
  fi
  $SUDO mkdir -p "$DATA_ROOT"
  # discard: space freed inside goes back to the file system that holds the file
  $SUDO mount -o loop,discard,noatime "$FS_FILE" "$DATA_ROOT"
fi
if [ "$(findmnt -no FSTYPE "$DATA_ROOT")" != btrfs ]; then
  log "$DATA_ROOT is mounted but is not btrfs: unmount it or choose another CYROP_DOCKER_DATA_ROOT"
  exit 1
fi
$SUDO btrfs quota enable "$DATA_ROOT"

log "starting dockerd on $DATA_ROOT (btrfs; log: $LOG)"
# In a session of its own: the daemon must outlive the shell, test run or job that started it
# (ending a process group, as CI runners and terminals do, would otherwise take dockerd with it).
# shellcheck disable=SC2086 # EXTRA_ARGS is a list of flags
$SUDO setsid sh -c "nohup dockerd --data-root '$DATA_ROOT' --storage-driver btrfs -H 'unix://$SOCKET' --pidfile '$PIDFILE' $EXTRA_ARGS >'$LOG' 2>&1 </dev/null &"
for _ in $(seq 1 60); do
  if [ "$(dk info --format '{{.Driver}}' 2>/dev/null)" = btrfs ]; then
    [ -n "${CYROP_DOCKERD_SOCKET:-}" ] || weigh_containers
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; see $LOG"
tail -n 20 "$LOG" >&2 || true
exit 1
