#!/usr/bin/env bash
# Print the local cluster's state as one JSON object on stdout (exit 0 whether it runs or not):
# { running, kubeconfig, apiServer, node: {name, address, ready}, dns: {address}, registry: {push,
#   pull}, network: {...}, versions, logs, components: [{name, healthy, detail}] }.
# `running` is true when every daemon answers its health check and the node is Ready.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
. "$HERE/env.sh"

comps='[]'
add() { # NAME HEALTHY(true|false) DETAIL
  comps=$(jq -c --arg n "$1" --argjson h "$2" --arg d "$3" '. + [{name: $n, healthy: $h, detail: $d}]' <<<"$comps")
}
ns_up=false
[ -e "$NETNS_PATH" ] && ns_up=true
probe() { # NAME WHERE URL: healthy when the daemon runs and URL answers 2xx
  local name=$1 where=$2 url=$3 out
  if ! alive "$name"; then
    add "$name" false "not running (log: $LOGS/$name.log)"
    return
  fi
  if [ "$where" = ns ]; then
    if ! $ns_up; then
      add "$name" false "network namespace $NETNS is missing"
      return
    fi
    out=$(nsenter --net="$NETNS_PATH" -- curl -fsSk --max-time 3 "$url" 2>&1)
  else
    out=$(curl -fsSk --max-time 3 "$url" 2>&1)
  fi
  # shellcheck disable=SC2181
  if [ $? -eq 0 ]; then
    add "$name" true "pid $(pid_of "$name"), $url answers"
  else
    add "$name" false "pid $(pid_of "$name"), $url: ${out:0:200}"
  fi
}

if [ "$(id -u)" -ne 0 ]; then
  add status false "status needs root (it enters the network namespace $NETNS)"
else
  if alive containerd && $ns_up && ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
    add containerd true "pid $(pid_of containerd), $CONTAINERD_SOCK answers"
  else
    add containerd false "not answering on $CONTAINERD_SOCK (log: $LOGS/containerd.log)"
  fi
  probe etcd ns http://127.0.0.1:2381/health
  probe kube-apiserver ns "$API_SERVER/readyz"
  probe kube-controller-manager ns https://127.0.0.1:10257/healthz
  probe kube-scheduler ns https://127.0.0.1:10259/healthz
  probe kubelet ns http://127.0.0.1:10248/healthz
  probe kube-proxy ns http://127.0.0.1:10256/healthz
  probe kube-router ns http://127.0.0.1:20244/healthz
  probe coredns ns http://127.0.0.1:18181/ready
  probe registry-push host "http://$REGISTRY_NAME/v2/"
  probe registry-pull ns "http://$REGISTRY_NAME/v2/"
fi

ready=false
if [ -s "$KUBECONFIG_ADMIN" ] && [ -x "$K8S_BIN/kubectl" ]; then
  r=$(kubectl_admin --request-timeout 3s get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
  [ "$r" = True ] && ready=true
fi

jq -n \
  --argjson comps "$comps" --argjson ready "$ready" \
  --arg kubeconfig "$KUBECONFIG_ADMIN" --arg api "$API_SERVER" --arg node "$NODE_NAME" \
  --arg nodeAddr "$NODE_ADDR" --arg hostAddr "$HOST_ADDR" --arg link "$LINK_NET" \
  --arg dns "$SERVICE_DNS_ADDR" --arg reg "$REGISTRY_NAME" --arg podCidr "$POD_CIDR" \
  --arg nodePodCidr "$NODE_POD_CIDR" --arg svcCidr "$SERVICE_CIDR" --arg netns "$NETNS" \
  --arg k8s "$K8S_VERSION" --arg etcd "$ETCD_VERSION" --arg kr "$KUBE_ROUTER_VERSION" \
  --arg coredns "$COREDNS_VERSION" --arg registry "$REGISTRY_VERSION" \
  --arg logs "$LOGS" --arg state "$STATE" --arg kubectl "$K8S_BIN/kubectl" '{
    running: (($comps | length) > 0 and ($comps | all(.healthy)) and $ready),
    kubeconfig: $kubeconfig,
    apiServer: $api,
    node: { name: $node, address: $nodeAddr, ready: $ready },
    dns: { address: $dns, port: 53, clusterDomain: "cluster.local" },
    registry: { push: $reg, pull: $reg },
    network: { namespace: $netns, link: $link, hostAddress: $hostAddr, podCidr: $podCidr,
               nodePodCidr: $nodePodCidr, serviceCidr: $svcCidr },
    versions: { kubernetes: $k8s, etcd: $etcd, kubeRouter: $kr, coredns: $coredns, registry: $registry },
    kubectl: $kubectl, state: $state, logs: $logs,
    components: $comps
  }'
