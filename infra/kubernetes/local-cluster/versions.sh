# shellcheck shell=bash
# Versions of everything the local cluster builds; the cache is keyed by these.
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
KUBE_ROUTER_VERSION=v2.1.0
COREDNS_VERSION=v1.15.0
REGISTRY_VERSION=v3.1.2
PAUSE_VERSION=3.10-cyrop1
# CoreDNS and the registry are built from our own main packages (modules/coredns, modules/registry:
# only the plugins and the storage driver the cluster uses); the suffix is their revision, so a
# change to them is built beside the old binaries instead of being hidden by the cache.
COREDNS_BUILD=$COREDNS_VERSION-cyrop1
REGISTRY_BUILD=$REGISTRY_VERSION-cyrop1
# helm is built only on request (`build.sh helm`): the chart's tests use it, the cluster does not.
HELM_VERSION=v4.3.2
PAUSE_IMAGE=registry.invalid/cyrop/pause:$PAUSE_VERSION
# kwok (simulated nodes and pods) is built only on request (`build.sh kwok`): the scale test's
# throw-away control plane (../kwok-cluster/) uses it, the cluster does not.
KWOK_VERSION=v0.8.0
