#!/usr/bin/env bash
# Run the cluster's kubectl with its admin kubeconfig, from wherever the caller stands:
# kubectl.sh get nodes  (the host reaches the apiserver over the veth pair).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
. "$HERE/env.sh"
[ -x "$K8S_BIN/kubectl" ] || { log "kubectl is not built yet ($K8S_BIN/kubectl): run 'cyrop cluster up'"; exit 1; }
[ -r "$KUBECONFIG_ADMIN" ] || { log "no readable kubeconfig at $KUBECONFIG_ADMIN: run 'cyrop cluster up' (as root)"; exit 1; }
exec "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"
