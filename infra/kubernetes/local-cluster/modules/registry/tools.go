//go:build tools

// The command this module builds; importing it keeps `go mod tidy` honest.
package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
