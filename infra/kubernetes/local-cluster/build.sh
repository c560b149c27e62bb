#!/usr/bin/env bash
# Build (or find already built) the binaries of the local Kubernetes cluster from the Go module
# proxy, one component at a time, into a cache outside the repository keyed by version:
#   $CYROP_K8S_CACHE/<component>-<version>/bin/...   (default cache: /var/cache/cyrop/kubernetes)
# A component whose directory holds a `.complete` marker is never built again, so a warm machine
# builds nothing. Modules and the Go build cache live in the same cache (gomod/, gocache/).
#
# Usage: build.sh [COMPONENT...]   (default: all; components: kubernetes etcd kube-router coredns
#        registry pause; `helm` and `kwok` are built only when named). Prints the bin directory of each component on stdout, progress on stderr.
# Needs Go (the machine's; GOPROXY is whatever `go env GOPROXY` says) and, for `pause`, nothing else.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
. "$HERE/versions.sh"
log() { printf 'cyrop cluster: %s\n' "$*" >&2; }

CACHE=${CYROP_K8S_CACHE:-/var/cache/cyrop/kubernetes}
export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
mkdir -p "$GOMODCACHE" "$GOCACHE"

command -v go >/dev/null 2>&1 || { log "Go is needed to build the cluster's binaries and was not found on PATH"; exit 1; }

# One wrapper module per component: copy modules/<name> to a work directory in the cache (go.sum
# and the downloaded modules stay out of the repository), tidy it, build the listed packages.
# $1 component, $2 version, $3 ldflags, then pairs "binary=package".
build_go() {
  local comp=$1 version=$2 ldflags=$3
  shift 3
  local out="$CACHE/$comp-$version"
  if [ -f "$out/.complete" ]; then
    echo "$out/bin"
    return 0
  fi
  local work="$CACHE/work/$comp-$version"
  rm -rf "$work" "$out"
  mkdir -p "$work" "$out/bin"
  cp "$HERE/modules/$comp/"* "$work/"
  log "building $comp $version from the Go module proxy (cache: $out)"
  local start=$SECONDS
  (cd "$work" && go mod tidy >&2)
  local pair bin pkg
  for pair in "$@"; do
    bin=${pair%%=*}
    pkg=${pair#*=}
    log "  go build $bin ($((SECONDS - start)) s so far)"
    (cd "$work" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/bin/$bin" "$pkg" >&2)
  done
  date -u +%FT%TZ >"$out/.complete"
  log "built $comp $version in $((SECONDS - start)) s"
  echo "$out/bin"
}

build_kubernetes() {
  local v=$K8S_VERSION minor
  minor=${v#v1.}
  minor=${minor%%.*}
  local stamp="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    stamp+=" -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build_go kubernetes "$v" "$stamp" \
    kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
    kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
    kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
    kubelet=k8s.io/kubernetes/cmd/kubelet \
    kube-proxy=k8s.io/kubernetes/cmd/kube-proxy \
    kubectl=k8s.io/kubernetes/cmd/kubectl
}

build_pause() {
  local out="$CACHE/pause-$PAUSE_VERSION"
  if [ -f "$out/.complete" ]; then
    echo "$out/bin"
    return 0
  fi
  rm -rf "$out"
  mkdir -p "$out/bin" "$out/work"
  log "building the pause image $PAUSE_IMAGE"
  cp "$HERE/modules/pause/"* "$out/work/"
  (cd "$out/work" && go build -trimpath -ldflags "-s -w" -o "$out/bin/pause" . >&2)
  "$HERE/oci-image.sh" "$out/bin/pause" /pause "$PAUSE_IMAGE" "$out/bin/pause.oci.tar"
  date -u +%FT%TZ >"$out/.complete"
  echo "$out/bin"
}

# kwok, for the throw-away control plane of the scale test (../kwok-cluster/): the binary, and the
# stages it plays (node: initialize + heartbeat with lease; pod: ready, complete, delete) taken from the
# same module version into one file beside it (kwok itself embeds none). The stages go in before the
# .complete marker, so an interrupted build is done again.
build_kwok() {
  local out="$CACHE/kwok-$KWOK_VERSION"
  if [ -f "$out/.complete" ]; then
    echo "$out/bin"
    return 0
  fi
  (build_go kwok "$KWOK_VERSION" "" kwok=sigs.k8s.io/kwok/cmd/kwok >/dev/null)
  rm -f "$out/.complete"
  local src f
  src=$(cd "$CACHE/work/kwok-$KWOK_VERSION" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  {
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "---"
      echo "# sigs.k8s.io/kwok@$KWOK_VERSION kustomize/stage/$f"
      cat "$src/kustomize/stage/$f"
    done
  } >"$out/bin/stages.yaml"
  date -u +%FT%TZ >"$out/.complete"
  echo "$out/bin"
}

build_one() {
  case "$1" in
    kubernetes) build_kubernetes ;;
    etcd) build_go etcd "$ETCD_VERSION" "" etcd=go.etcd.io/etcd/server/v3 ;;
    kube-router)
      build_go kube-router "$KUBE_ROUTER_VERSION" \
        "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
        kube-router=github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
      ;;
    coredns) build_go coredns "$COREDNS_BUILD" "" coredns=. ;;
    registry)
      build_go registry "$REGISTRY_BUILD" \
        "-X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
        registry=.
      ;;
    pause) build_pause ;;
    kwok) build_kwok ;;
    helm)
      build_go helm "$HELM_VERSION" \
        "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
        helm=helm.sh/helm/v4/cmd/helm
      ;;
    *)
      log "unknown component '$1' (known: kubernetes etcd kube-router coredns registry pause helm kwok)"
      exit 2
      ;;
  esac
}

comps=("$@")
[ ${#comps[@]} -gt 0 ] || comps=(pause etcd registry kube-router coredns kubernetes)
for c in "${comps[@]}"; do build_one "$c"; done
