#!/usr/bin/env bash
# Build (or reuse from the cache) and start the local single-node Kubernetes cluster, leaving the
# running Docker engine alone: every cluster daemon runs in the network namespace `cyrop-k8s`
# (own iptables, own containerd), joined to the host by one veth pair. Idempotent: daemons that
# already run are left running, so a second call returns as soon as the node is Ready.
# Progress on stderr. Needs root. Usage: up.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
. "$HERE/env.sh"
# shellcheck source=pki.sh
. "$HERE/pki.sh"

[ "$(id -u)" -eq 0 ] || { log "up.sh needs root (network namespace, containerd, kubelet)"; exit 1; }
started=$SECONDS

# --- Debian packages -----------------------------------------------------------------------
need=()
command -v containerd >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v ipset >/dev/null 2>&1 || need+=(ipset)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} (Debian packages)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- binaries (built once per version, cached outside the repository) ------------------------
"$HERE/build.sh" pause etcd registry kube-router coredns kubernetes >/dev/null

mkdir -p "$STATE"/{config,cni/net.d,cni/ipam,registry,kubelet} "$RUN" "$LOGS"

# --- network namespace and the veth pair to the host -----------------------------------------
if [ ! -e "$NETNS_PATH" ]; then
  # Refuse an address range some host route already covers (or lies inside).
  clash=$(
    ip -4 route show match "$LINK_NET" | grep -v '^default' || true
    ip -4 route show root "$LINK_NET" || true
  )
  if [ -n "$clash" ]; then
    log "the host already routes addresses of $LINK_NET (${clash//$'\n'/; }): choose another /30 with"
    log "CYROP_K8S_LINK_NET, CYROP_K8S_HOST_ADDR and CYROP_K8S_NODE_ADDR"
    exit 1
  fi
  log "creating network namespace $NETNS ($HOST_ADDR on the host, $NODE_ADDR in the namespace)"
  ip netns add "$NETNS"
fi
in_ns ip link set lo up
if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
  ip link add "$HOST_IF" type veth peer name "$NS_IF"
  ip link set "$NS_IF" netns "$NETNS"
  ip addr add "$HOST_ADDR/${LINK_NET#*/}" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  in_ns ip addr add "$NODE_ADDR/${LINK_NET#*/}" dev "$NS_IF"
  in_ns ip link set "$NS_IF" up
fi
# No default route in the namespace: pods and daemons reach the /30 and the pod network, nothing else.
in_ns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 >/dev/null 2>&1 ||
  log "could not set the namespace's forwarding/bridge-netfilter sysctls (NetworkPolicy may not hold)"
# Pods never reach the host end of the link (the host's own services), policies or not.
in_ns iptables -t mangle -C PREROUTING -s "$POD_CIDR" -d "$HOST_ADDR" -j DROP 2>/dev/null ||
  in_ns iptables -t mangle -A PREROUTING -s "$POD_CIDR" -d "$HOST_ADDR" -j DROP

make_pki

# --- configuration files ---------------------------------------------------------------------
cfg=$STATE/config
# put FILE: write stdin to FILE only when it differs (daemons that watch their files restart on a write).
put() {
  local tmp=$1.new
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}
put "$cfg/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
oom_score = 0
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This VM withholds CAP_SYS_RESOURCE from root: without this every pod fails to start.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$cfg/certs.d"
EOF
# Registry hosts: our registry by its one name (plain http inside the namespace); every other
# registry goes to a dead loopback port, so an accidental pull from outside fails at once.
mkdir -p "$cfg/certs.d/$REGISTRY_NAME" "$cfg/certs.d/_default"
put "$cfg/certs.d/$REGISTRY_NAME/hosts.toml" <<EOF
server = "http://$REGISTRY_NAME"
[host."http://$REGISTRY_NAME"]
  capabilities = ["pull", "resolve"]
EOF
put "$cfg/certs.d/_default/hosts.toml" <<EOF
server = "http://127.0.0.1:9"
[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
EOF
put "$STATE/cni/net.d/10-cyrop.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "cyrop-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
echo "nameserver $SERVICE_DNS_ADDR" | put "$cfg/resolv.conf"
put "$cfg/pod-security.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: { enforce: baseline, enforce-version: latest, audit: baseline, audit-version: latest, warn: baseline, warn-version: latest }
    exemptions: { usernames: [], runtimeClasses: [], namespaces: [kube-system] }
EOF
put "$cfg/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_ADDR
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $STATE/pki/ca.crt }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$SERVICE_DNS_ADDR]
clusterDomain: cluster.local
resolvConf: $cfg/resolv.conf
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
podLogsDir: $LOGS/pods
podPidsLimit: 4096
maxPods: 250
serializeImagePulls: false
evictionHard: { memory.available: 200Mi, nodefs.available: 5%, imagefs.available: 5% }
EOF
put "$cfg/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $STATE/kubeconfigs/kube-proxy.kubeconfig }
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_ADDR
nodePortAddresses: ["$NODE_ADDR/32"]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# conntrack limits are machine-wide sysctls: leave the host's alone.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
EOF
put "$cfg/Corefile" <<EOF
.:53 {
    bind $SERVICE_DNS_ADDR
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $STATE/kubeconfigs/coredns.kubeconfig cyrop-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
    loadbalance
}
EOF
for side in push pull; do
  {
    echo "version: 0.1"
    echo "log: { level: info, accesslog: { disabled: true } }"
    echo "storage:"
    echo "  filesystem: { rootdirectory: $STATE/registry }"
    echo "  delete: { enabled: true }"
    if [ "$side" = pull ]; then
      echo "  maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } }"
    fi
    echo "http: { addr: '$REGISTRY_NAME', headers: { X-Content-Type-Options: [nosniff] } }"
  } | put "$cfg/registry-$side.yml"
done

# --- daemons -------------------------------------------------------------------------------
# start NAME WHERE(ns|host) BINARY ARGS...: start in a session of its own (it outlives this
# script), log to $LOGS/NAME.log, record its pid. A daemon that runs with the same command line and
# the same configuration files is left alone; one whose command line or files changed (a newer
# version of these scripts) is stopped and started again.
start() {
  local name=$1 where=$2 bin=$3
  shift 3
  local spec arg pid i
  spec=$(
    printf '%s %q' "$where" "$bin"
    for arg in "$@"; do
      printf ' %q' "$arg"
      case "$arg" in "$cfg"/*) [ -f "$arg" ] && printf '#%s' "$(sha256sum <"$arg" | cut -c1-16)" ;; esac
    done
  )
  if alive "$name"; then
    # No record (started by an older script): adopt it as it is.
    [ -f "$RUN/$name.spec" ] || echo "$spec" >"$RUN/$name.spec"
    [ "$(cat "$RUN/$name.spec")" = "$spec" ] && return 0
    log "restarting $name (its command line or configuration changed)"
    pid=$(pid_of "$name")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  log "starting $name"
  umask 022 # whatever the caller's: containers' files get their image's modes
  basename "$bin" >"$RUN/$name.exe"
  echo "$spec" >"$RUN/$name.spec"
  if [ "$where" = ns ]; then
    setsid nsenter --net="$NETNS_PATH" -- "$bin" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  else
    setsid "$bin" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$RUN/$name.pid"
}
# wait_for NAME SECONDS COMMAND...: poll COMMAND until it succeeds; fail naming the log otherwise.
wait_for() {
  local name=$1 secs=$2
  shift 2
  local i
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if ! alive "$name"; then
      log "$name stopped while starting; last lines of $LOGS/$name.log:"
      tail -n 20 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  log "$name did not become healthy within $secs s; last lines of $LOGS/$name.log:"
  tail -n 20 "$LOGS/$name.log" >&2 || true
  exit 1
}
curl_ns() { in_ns curl -fsS --max-time 2 "$@"; }
api_ready() { kubectl_admin get --raw /readyz; }

start containerd ns /usr/bin/containerd --config "$cfg/containerd.toml"
wait_for containerd 30 in_ns ctr --address "$CONTAINERD_SOCK" version
images=$(ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q)
if ! grep -qxF "$PAUSE_IMAGE" <<<"$images"; then
  log "importing the pause image $PAUSE_IMAGE into the cluster's containerd"
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images import "$PAUSE_DIR/pause.oci.tar" >/dev/null
fi

start etcd ns "$ETCD_BIN/etcd" --name cyrop --data-dir "$STATE/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster cyrop=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
  --quota-backend-bytes 4294967296 --log-level warn
wait_for etcd 30 curl_ns http://127.0.0.1:2381/health

pki=$STATE/pki
start kube-apiserver ns "$K8S_BIN/kube-apiserver" \
  --advertise-address "$NODE_ADDR" --bind-address "$NODE_ADDR" --secure-port "$API_PORT" \
  --etcd-servers http://127.0.0.1:2379 \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --admission-control-config-file "$cfg/pod-security.yaml" \
  --allow-privileged=true --profiling=false --event-ttl 1h
wait_for kube-apiserver 90 api_ready

# Read access for the two addons that run as host processes (NetworkPolicy and DNS).
kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "cyrop:cluster-addons" }
rules:
- apiGroups: ["", "networking.k8s.io", "discovery.k8s.io"]
  resources: [pods, namespaces, nodes, services, endpoints, endpointslices, networkpolicies]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "cyrop:cluster-addons" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "cyrop:cluster-addons" }
subjects:
- { apiGroup: rbac.authorization.k8s.io, kind: User, name: "cyrop:kube-router" }
- { apiGroup: rbac.authorization.k8s.io, kind: User, name: "cyrop:coredns" }
EOF

start kube-controller-manager ns "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$STATE/kubeconfigs/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$STATE/kubeconfigs/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$STATE/kubeconfigs/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --allocate-node-cidrs --cluster-cidr "$POD_CIDR" --node-cidr-mask-size "${NODE_POD_CIDR#*/}" \
  --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
start kube-scheduler ns "$K8S_BIN/kube-scheduler" \
  --kubeconfig "$STATE/kubeconfigs/scheduler.kubeconfig" \
  --authentication-kubeconfig "$STATE/kubeconfigs/scheduler.kubeconfig" \
  --authorization-kubeconfig "$STATE/kubeconfigs/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false
# At start the kubelet sets machine-wide sysctls it wants (overcommit, panic on oops, ...): note the
# host's values before and put them back once it runs (it checks them only when it starts).
restore_sysctls() {
  [ -s "$RUN/host-sysctls" ] || return 0
  local kv
  while IFS= read -r kv; do
    [ "$(sysctl -n "${kv%%=*}")" = "${kv#*=}" ] || sysctl -qw "$kv" >/dev/null || log "could not restore $kv"
  done <"$RUN/host-sysctls"
  rm -f "$RUN/host-sysctls"
}
trap restore_sysctls EXIT
kernel_keys=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
if ! alive kubelet; then
  for k in "${kernel_keys[@]}"; do echo "$k=$(sysctl -n "$k")"; done >"$RUN/host-sysctls"
fi
start kubelet ns "$K8S_BIN/kubelet" --config "$cfg/kubelet.yaml" \
  --kubeconfig "$STATE/kubeconfigs/kubelet.kubeconfig" --root-dir "$STATE/kubelet" \
  --cert-dir "$STATE/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_ADDR"
start kube-proxy ns "$K8S_BIN/kube-proxy" --config "$cfg/kube-proxy.yaml"
start kube-router ns "$KUBE_ROUTER_BIN/kube-router" \
  --kubeconfig "$STATE/kubeconfigs/kube-router.kubeconfig" --hostname-override "$NODE_NAME" \
  --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
  --health-port 20244 --metrics-port 0
start coredns ns "$COREDNS_BIN/coredns" -conf "$cfg/Corefile"
OTEL_TRACES_EXPORTER=none start registry-push host "$REGISTRY_BIN/registry" serve "$cfg/registry-push.yml"
OTEL_TRACES_EXPORTER=none start registry-pull ns "$REGISTRY_BIN/registry" serve "$cfg/registry-pull.yml"

wait_for kubelet 60 curl_ns http://127.0.0.1:10248/healthz
wait_for coredns 30 curl_ns http://127.0.0.1:18181/ready
wait_for registry-push 30 curl -fsS --max-time 2 "http://$REGISTRY_NAME/v2/"
wait_for registry-pull 30 curl_ns "http://$REGISTRY_NAME/v2/"
node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_for kubelet 90 node_ready
restore_sysctls
log "cluster up in $((SECONDS - started)) s: kubeconfig $KUBECONFIG_ADMIN, apiserver $API_SERVER, registry $REGISTRY_NAME"
