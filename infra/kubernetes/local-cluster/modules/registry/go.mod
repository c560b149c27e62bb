// Our own wrapper module: builds github.com/distribution/distribution/v3/cmd/registry v3.1.2 from the Go module proxy.
module cyrop.local/build/registry

go 1.24.0

require github.com/distribution/distribution/v3 v3.1.2
