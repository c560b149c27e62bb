// The registry command with only what the local cluster uses: filesystem storage, no auth. The
// stock command links the cloud storage drivers (S3, Azure, GCS), most of a cold build's time.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
