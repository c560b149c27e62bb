// Our own wrapper module: builds go.etcd.io/etcd/server/v3 v3.6.16 from the Go module proxy.
module cyrop.local/build/etcd

go 1.24.0

require go.etcd.io/etcd/server/v3 v3.6.16
