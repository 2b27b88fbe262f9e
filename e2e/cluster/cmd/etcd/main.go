// Command etcd is the etcd server at the version the Kubernetes module pins, so the
// local control plane needs no etcd from elsewhere.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
