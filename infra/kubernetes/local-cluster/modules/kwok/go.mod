// Our own wrapper module: builds sigs.k8s.io/kwok/cmd/kwok v0.8.0 from the Go module proxy (the
// simulated nodes and pods of the throw-away control plane, infra/kubernetes/kwok-cluster/).
module cyrop.local/build/kwok

go 1.26.0

require sigs.k8s.io/kwok v0.8.0
