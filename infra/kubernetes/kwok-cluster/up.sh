#!/usr/bin/env bash
# A throw-away control plane with simulated nodes, for scale tests and benchmarks: etcd,
# kube-apiserver, kube-controller-manager (namespace, resourcequota and serviceaccount controllers),
# kube-scheduler and kwok, all on host loopback at free ports, with their own certificates and state
# in DIR. No real node: only KWOK nodes (Node objects kwok keeps Ready and whose pods it plays through
# their lifecycle: scheduled → Running and Ready with an address → deleted). Nothing of the local
# cluster (../local-cluster/) is touched; its built binaries are reused (build.sh kubernetes etcd kwok).
#
# Usage: up.sh DIR [NODES] [PODS_PER_NODE]     (default 8 nodes × 500 pods)
#   DIR must not exist or be empty; it receives pki/, etcd/, logs/, *.pid and
#   env.json: { server, adminKubeconfig, platformKubeconfig, nodes, podsPerNode, pids, ports, logs }.
# down.sh DIR stops every process recorded in DIR and deletes DIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOCAL=$HERE/../local-cluster
log() { printf 'cyrop kwok-cluster: %s\n' "$*" >&2; }

DIR=${1:?usage: up.sh DIR [NODES] [PODS_PER_NODE]}
NODES=${2:-8}
PODS_PER_NODE=${3:-500}
[[ $NODES =~ ^[0-9]+$ && $NODES -ge 1 && $NODES -le 100 ]] || { log "NODES must be 1-100, not '$NODES'"; exit 2; }
[[ $PODS_PER_NODE =~ ^[0-9]+$ && $PODS_PER_NODE -ge 1 && $PODS_PER_NODE -le 1000 ]] || {
  log "PODS_PER_NODE must be 1-1000, not '$PODS_PER_NODE'"
  exit 2
}
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
  log "$DIR exists and is not empty: give a fresh directory"
  exit 2
fi
for tool in openssl curl; do command -v "$tool" >/dev/null || { log "$tool is needed"; exit 1; }; done

# The binaries: built once from the Go module proxy, cached by version (../local-cluster/build.sh).
bins=$("$LOCAL/build.sh" kubernetes etcd kwok)
K8S_BIN=$(sed -n 1p <<<"$bins")
ETCD_BIN=$(sed -n 2p <<<"$bins")
KWOK_BIN=$(sed -n 3p <<<"$bins")

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
mkdir -p "$DIR/pki" "$DIR/logs" "$DIR/config"
chmod 700 "$DIR/pki"
ETCD_DATA=$DIR/etcd

# Free loopback ports, chosen by the kernel (bound then released at once).
read -r P_ETCD P_PEER P_API P_KWOK < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')
SERVER=https://127.0.0.1:$P_API

# --- certificates (as ../local-cluster/pki.sh, in DIR) --------------------------------------------
pki=$DIR/pki
openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=cyrop-kwok-ca" -days 30 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$pki/ca.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
# mkcert NAME CN O KIND [SAN]
mkcert() {
  local name=$1 cn=$2 o=$3 kind=$4 san=${5:-} subj="/CN=$2" ext=$pki/$1.ext
  [ -n "$o" ] && subj="/O=$o$subj"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ "$kind" = server ]; then
      echo "extendedKeyUsage=serverAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$ext"
}
# mkkubeconfig FILE CERT
mkkubeconfig() {
  (
    umask 077
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cyrop-kwok
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$pki/$2.crt")
    client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
- name: cyrop-kwok
  context: { cluster: cyrop-kwok, user: $2 }
current-context: cyrop-kwok
EOF
  )
}
mkcert apiserver kube-apiserver "" server "IP:127.0.0.1,DNS:localhost"
mkcert admin cyrop-kwok-admin system:masters client
# The platform is NOT system:masters (whose requests API Priority and Fairness exempts): it has the
# identity the chart gives it in a cluster, a service account (here by certificate: user
# system:serviceaccount:cyrop:platform, group system:serviceaccounts), bound to cluster-admin. Its
# requests go through the flow schema `service-accounts` (priority level workload-low), queued and
# limited like any workload's: its 429s are real.
mkcert platform system:serviceaccount:cyrop:platform system:serviceaccounts client
mkcert controller-manager system:kube-controller-manager "" client
mkcert scheduler system:kube-scheduler "" client
# kwok plays every node's kubelet; it gets the admin group (a kubelet's node-high priority level and
# NodeRestriction do not apply to one process playing many nodes).
mkcert kwok cyrop-kwok system:masters client
for c in admin platform controller-manager scheduler kwok; do mkkubeconfig "$DIR/$c.kubeconfig" "$c"; done

# --- daemons -------------------------------------------------------------------------------------
# start NAME BINARY ARGS...: in a session of its own, logging to logs/NAME.log, pid in NAME.pid.
start() {
  local name=$1
  shift
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
}
fail() {
  log "$1; last lines of $DIR/logs/$2.log:"
  tail -n 20 "$DIR/logs/$2.log" >&2 || true
  "$HERE/down.sh" "$DIR" --keep || true
  exit 1
}
# wait_for NAME SECONDS COMMAND...
wait_for() {
  local name=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null || fail "$name stopped while starting" "$name"
    sleep 0.2
  done
  fail "$name did not become healthy within $secs s" "$name"
}
kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" "$@"; }

start etcd "$ETCD_BIN/etcd" --name kwok --data-dir "$ETCD_DATA" \
  --listen-client-urls "http://127.0.0.1:$P_ETCD" --advertise-client-urls "http://127.0.0.1:$P_ETCD" \
  --listen-peer-urls "http://127.0.0.1:$P_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$P_PEER" \
  --initial-cluster "kwok=http://127.0.0.1:$P_PEER" --quota-backend-bytes 4294967296 --log-level warn
wait_for etcd 30 curl -fsS --max-time 2 "http://127.0.0.1:$P_ETCD/health"

start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --advertise-address 127.0.0.1 --bind-address 127.0.0.1 --secure-port "$P_API" \
  --etcd-servers "http://127.0.0.1:$P_ETCD" --service-cluster-ip-range 10.97.0.0/16 \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode RBAC --allow-privileged=true --profiling=false --event-ttl 10m
wait_for kube-apiserver 90 kubectl_admin get --raw /readyz

kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "cyrop:platform" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:serviceaccount:cyrop:platform" }]
EOF

# Client rate limits raised from the defaults (controller-manager 20/s, scheduler 50/s), which would
# make namespace deletion and binding of thousands of pods the bottleneck instead of the API server.
start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --use-service-account-credentials \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --controllers namespace,resourcequota,serviceaccount \
  --kube-api-qps 300 --kube-api-burst 600 --concurrent-namespace-syncs 20 --concurrent-resource-quota-syncs 20 \
  --profiling=false
cat >"$DIR/config/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: { kubeconfig: $DIR/scheduler.kubeconfig, qps: 300, burst: 600 }
leaderElection: { leaderElect: false }
EOF
start kube-scheduler "$K8S_BIN/kube-scheduler" --config "$DIR/config/scheduler.yaml" \
  --authentication-kubeconfig "$DIR/scheduler.kubeconfig" --authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --profiling=false

# kwok: the stages (node initialise + lease heartbeat; pod ready, complete, delete) come from the same
# module version as the binary (build.sh kwok writes them beside it).
cat >"$DIR/config/kwok.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 16
  podsOnNodeSyncParallelism: 4
EOF
start kwok "$KWOK_BIN/kwok" --kubeconfig "$DIR/kwok.kubeconfig" \
  --config "$DIR/config/kwok.yaml" --config "$KWOK_BIN/stages.yaml" \
  --server-address "127.0.0.1:$P_KWOK"
wait_for kwok 30 curl -fsS --max-time 2 "http://127.0.0.1:$P_KWOK/healthz"

# The nodes: each with room for PODS_PER_NODE pods, 64 cpu, 256 GiB, its own /23 of pod addresses.
{
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok }
spec:
  podCIDR: 10.$((64 + i / 128)).$(((i % 128) * 2)).0/23
status:
  allocatable: { cpu: "64", memory: 256Gi, pods: "$PODS_PER_NODE", ephemeral-storage: 1Ti }
  capacity: { cpu: "64", memory: 256Gi, pods: "$PODS_PER_NODE", ephemeral-storage: 1Ti }
EOF
  done
} >"$DIR/config/nodes.yaml"
kubectl_admin create -f "$DIR/config/nodes.yaml" >/dev/null
nodes_ready() {
  [ "$(kubectl_admin get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" -eq "$NODES" ]
}
wait_for kwok 60 nodes_ready
# Admission taints a new node not-ready until the node lifecycle controller sees it Ready; that
# controller does not run here (no evictions on a starved 2-core machine): take the taint off.
kubectl_admin taint nodes --all node.kubernetes.io/not-ready:NoSchedule- >/dev/null
# ServiceAccount admission wants the `default` account of a namespace before its first pod: the
# controller makes it; wait until it runs (it made default's in `default`).
wait_for kube-controller-manager 60 kubectl_admin get serviceaccount default -n default
wait_for kube-scheduler 30 kill -0 "$(cat "$DIR/kube-scheduler.pid")"

pids=""
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  pids+="${pids:+, }\"$c\": $(cat "$DIR/$c.pid")"
done
cat >"$DIR/env.json" <<EOF
{
  "server": "$SERVER",
  "adminKubeconfig": "$DIR/admin.kubeconfig",
  "platformKubeconfig": "$DIR/platform.kubeconfig",
  "kubectl": "$K8S_BIN/kubectl",
  "nodes": $NODES,
  "podsPerNode": $PODS_PER_NODE,
  "ports": { "etcd": $P_ETCD, "apiserver": $P_API, "kwok": $P_KWOK },
  "pids": { $pids },
  "logs": "$DIR/logs"
}
EOF
log "up: $SERVER, $NODES kwok nodes × $PODS_PER_NODE pods; state and logs in $DIR"
echo "$DIR/env.json"
