//go:build tools

// The command this module builds; importing it keeps `go mod tidy` honest.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
