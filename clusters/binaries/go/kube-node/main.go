// One binary for the node-side Kubernetes programs a kind node image needs:
// kubelet, kubeadm and kube-proxy, chosen by the name it is called by (like
// ../kube for the control plane). Each case does what the upstream
// cmd/<name> main of the pinned release does.
//
// The go.mod next to this file is generated at build time from the pinned
// k8s.io/kubernetes release (clusters/binaries/go-build.ts), never committed.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubeadm "k8s.io/kubernetes/cmd/kubeadm/app"
	kubeadmerrors "k8s.io/kubernetes/cmd/kubeadm/app/util/errors"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

func main() {
	name := filepath.Base(os.Args[0])
	var command *cobra.Command
	switch name {
	case "kubelet":
		command = kubelet.NewKubeletCommand(context.Background())
	case "kube-proxy":
		command = proxy.NewProxyCommand()
	case "kubeadm":
		kubeadmerrors.HandleError(kubeadm.Run())
		return
	default:
		fmt.Fprintf(os.Stderr, "%s: run me as kubelet, kubeadm or kube-proxy\n", name)
		os.Exit(2)
	}
	os.Exit(cli.Run(command))
}
