//go:build tools

// The command this module builds; importing it keeps `go mod tidy` honest.
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
