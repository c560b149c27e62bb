#!/usr/bin/env bash
# Make sure the base of every scenario image, debian:bookworm-slim, exists on the local engine.
# There is no registry to pull it from: build it with debootstrap from Debian's mirror and import it
# (about 30 s). Idempotent: does nothing when the image is there.
set -euo pipefail
IMAGE=debian:bookworm-slim
if docker image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi
command -v debootstrap >/dev/null 2>&1 || { echo "cyrop: debootstrap is missing (run infra/engine/ensure-docker.sh)" >&2; exit 1; }
root=$(mktemp -d /tmp/cyrop-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "cyrop: building $IMAGE with debootstrap (about 30 s)" >&2
debootstrap --variant=minbase bookworm "$root" >/tmp/cyrop-debootstrap.log 2>&1 || { tail -n 20 /tmp/cyrop-debootstrap.log >&2; exit 1; }
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$IMAGE" >/dev/null
echo "cyrop: $IMAGE ready" >&2
