// Our own wrapper module: builds github.com/coredns/coredns v1.15.0 from the Go module proxy.
module cyrop.local/build/coredns

go 1.24.0

require github.com/coredns/coredns v1.15.0
