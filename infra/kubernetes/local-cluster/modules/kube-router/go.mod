// Our own wrapper module: builds github.com/cloudnativelabs/kube-router/v2/cmd/kube-router v2.1.0 from the Go module proxy.
module cyrop.local/build/kube-router

go 1.24.0

require github.com/cloudnativelabs/kube-router/v2 v2.1.0
