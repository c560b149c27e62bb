#!/bin/bash
# Makes the base image of every CYROP image, debian:bookworm-slim, where no registry is reachable:
# debootstrap (minbase) into a temporary folder, trim it the way Debian's official slim image is
# trimmed (no apt caches, lists, documentation, manual pages or translations), then `docker import`.
# Needs root, debootstrap and a Docker engine. Usage: make-base.sh [IMAGE] (default
# debian:bookworm-slim). The mirror is $DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Called by `cyrop images build` when the base is missing.
set -euo pipefail

IMAGE=${1:-debian:bookworm-slim}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" != 0 ]; then
  echo "make-base.sh: debootstrap needs root; run it as root (or make $IMAGE with docker import yourself)" >&2
  exit 2
fi
for tool in debootstrap docker tar; do
  command -v "$tool" >/dev/null || { echo "make-base.sh: $tool is not installed" >&2; exit 2; }
done

ROOTFS=$(mktemp -d /tmp/cyrop-base.XXXXXX)
# mktemp makes the folder 0700, and it becomes the image's `/`: overlay2 hides that (a container's
# `/` takes its upper directory's mode), btrfs does not, and no user but root could then run a thing.
chmod 0755 "$ROOTFS"
trap 'rm -rf --one-file-system "$ROOTFS"' EXIT

echo "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR"

echo "trimming the root file system"
cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
# As in Debian's official slim images: no documentation, manual pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
printf 'APT::Install-Recommends "false";\n' > "$ROOTFS/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
  "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/* "$ROOTFS"/tmp/* \
  "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/lintian/*
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
mkdir -p "$ROOTFS/var/lib/apt/lists/partial"
# No machine identity in the image.
: > "$ROOTFS/etc/machine-id" 2>/dev/null || true
rm -f "$ROOTFS/etc/hostname"

echo "docker import as $IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$IMAGE"
echo "made $IMAGE ($(docker image inspect --format '{{.Id}}' "$IMAGE"))"
