// Our own wrapper module: builds helm.sh/helm/v4/cmd/helm v4.3.2 from the Go module proxy (for the
// chart's tests: helm lint and helm template).
module cyrop.local/build/helm

go 1.24.0

require helm.sh/helm/v4 v4.3.2
