// etcd's own main, as a module of ours: go.etcd.io/etcd/server/v3 carries
// replace directives to ../ paths, so `go install` of it fails; requiring it
// from this module and calling etcdmain.Main builds the same server.
//
// The go.mod next to this file is generated at build time (clusters/binaries/go-build.ts).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
