//go:build tools

// The command this module builds; importing it keeps `go mod tidy` honest.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
