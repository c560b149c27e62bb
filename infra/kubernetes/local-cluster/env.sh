# shellcheck shell=bash
# Names, paths and addresses of the local cluster, shared by every script here. The paths of the
# kubeconfig, the state and the logs are fixed: other parts of CYROP rely on them.
HERE=${HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# shellcheck source=versions.sh
. "$HERE/versions.sh"

STATE=/var/lib/cyrop-k8s
RUN=/run/cyrop-k8s
LOGS=/var/log/cyrop-k8s
KUBECONFIG_ADMIN=$STATE/admin.kubeconfig
CACHE=${CYROP_K8S_CACHE:-/var/cache/cyrop/kubernetes}

NETNS=cyrop-k8s
NETNS_PATH=/run/netns/$NETNS
# A /30 between the host and the cluster's network namespace: the host end, and the node address
# (apiserver, kubelet, CoreDNS) in the namespace. In the benchmarking range 198.18.0.0/15, outside 10/8
# (CYROP team pools, test pools) and Docker's default pools (172.17-31.0.0/16, 192.168.0.0/16);
# up.sh refuses it when a host route overlaps it.
LINK_NET=${CYROP_K8S_LINK_NET:-198.18.254.0/30}
HOST_ADDR=${CYROP_K8S_HOST_ADDR:-198.18.254.1}
NODE_ADDR=${CYROP_K8S_NODE_ADDR:-198.18.254.2}
HOST_IF=cyk8s-host
NS_IF=cyk8s-node
NODE_NAME=cyrop-node
POD_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/22
SERVICE_CIDR=10.96.0.0/20
SERVICE_DNS_ADDR=$NODE_ADDR
API_PORT=6443
API_SERVER=https://$NODE_ADDR:$API_PORT
REGISTRY_PORT=${CYROP_K8S_REGISTRY_PORT:-5100}
REGISTRY_NAME=127.0.0.1:$REGISTRY_PORT
CONTAINERD_SOCK=$RUN/containerd.sock

K8S_BIN=$CACHE/kubernetes-$K8S_VERSION/bin
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION/bin
KUBE_ROUTER_BIN=$CACHE/kube-router-$KUBE_ROUTER_VERSION/bin
COREDNS_BIN=$CACHE/coredns-$COREDNS_BUILD/bin
REGISTRY_BIN=$CACHE/registry-$REGISTRY_BUILD/bin
PAUSE_DIR=$CACHE/pause-$PAUSE_VERSION/bin

# The daemons, in start order; each runs inside the namespace except registry-push (host loopback).
COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kube-router coredns registry-push registry-pull)

log() { printf 'cyrop cluster: %s\n' "$*" >&2; }
in_ns() { nsenter --net="$NETNS_PATH" -- "$@"; }
pid_of() { cat "$RUN/$1.pid" 2>/dev/null || true; }
alive() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null | xargs -r basename)" = "$(cat "$RUN/$1.exe" 2>/dev/null)" ]
}
kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
