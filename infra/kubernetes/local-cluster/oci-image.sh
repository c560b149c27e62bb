#!/usr/bin/env bash
# Pack one static binary as a single-layer OCI image archive (an OCI layout in a tar), reproducibly
# (fixed owner and time), for `ctr images import`. Usage: oci-image.sh BINARY PATH-IN-IMAGE NAME OUT.tar
# The image runs PATH-IN-IMAGE as its entrypoint; NAME (e.g. registry.invalid/cyrop/pause:1) is
# recorded as the image's name, so the import gives it that name without pulling anything.
set -euo pipefail
bin=$1 path=$2 name=$3 out=$4
[ -x "$bin" ] || { echo "oci-image.sh: $bin is not an executable file" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/$(dirname "$path")" "$tmp/oci/blobs/sha256"
install -m 0755 "$bin" "$tmp/root/$path"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp/root" -cf "$tmp/layer.tar" .
diff_id=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
gzip -9 -n -c "$tmp/layer.tar" >"$tmp/layer.tar.gz"
blob() { # file -> digest, moved into the layout
  local d
  d=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "$tmp/oci/blobs/sha256/$d"
  echo "$d"
}
layer_size=$(stat -c %s "$tmp/layer.tar.gz")
layer=$(blob "$tmp/layer.tar.gz")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["%s"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$path" "$diff_id" >"$tmp/config.json"
config_size=$(stat -c %s "$tmp/config.json")
config=$(blob "$tmp/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" >"$tmp/manifest.json"
manifest_size=$(stat -c %s "$tmp/manifest.json")
manifest=$(blob "$tmp/manifest.json")
printf '{"imageLayoutVersion":"1.0.0"}' >"$tmp/oci/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$name" "${name##*:}" >"$tmp/oci/index.json"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp/oci" -cf "$out" .
