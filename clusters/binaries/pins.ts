/**
 * Every upstream version the local cluster runs, in one place. Change a pin
 * here and the cache key changes with it, so the next start fetches or builds
 * the new version.
 */
export const pins = {
  /** kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (and kubelet, kubeadm, kube-proxy for kind). */
  kubernetes: "v1.36.3",
  etcd: "v3.6.16",
  /** kwok and kwokctl. */
  kwok: "v0.8.0",
  /**
   * kubernetes-csi external-provisioner (module .../external-provisioner/v6).
   * Not v6.4.0: it needs sigs.k8s.io/sig-storage-lib-external-provisioner/v13
   * v13.1.0, whose source the Go module proxy reachable here refuses (403).
   */
  csiProvisioner: "v6.3.0",
  /** kubernetes-csi external-attacher (module .../external-attacher/v4). */
  csiAttacher: "v4.13.0",
  /** The CSI spec whose csi.proto the suite's CSI driver serves (the version external-provisioner uses). */
  csiSpec: "v1.13.0",
  /** The kind CLI that creates kind clusters. */
  kind: "v0.33.0",
  /** rancher local-path-provisioner: kind's `standard` class, in the air-gapped node image. */
  localPathProvisioner: "v0.0.30",
  /**
   * The ginkgo v2 CLI that runs upstream's e2e.test in parallel (`ginkgo -p`,
   * bench/vs-upstream.ts): the version k8s.io/kubernetes (pins.kubernetes)
   * requires in its go.mod, as the release's kubernetes-test tarball ships.
   */
  ginkgo: "v2.28.1",
  /**
   * kubernetes-csi csi-driver-host-path (hostpathplugin) and node-driver-registrar:
   * the Go module proxy refuses both, so they are built from their release
   * archives (with vendor/) in AMC_UPSTREAM_SRC (clusters/binaries/upstream-src.ts),
   * pinned by digest in `sourceArchives`.
   */
  csiHostpath: "v1.18.0",
  nodeDriverRegistrar: "v2.17.0",
  /** vmware-tanzu/sonobuoy: the in-cluster path's conformance runner (its CLI, and its image for the aggregator). */
  sonobuoy: "v0.57.5",
  /** rhysd/actionlint, which checks the GitHub Actions workflows (.github/workflows) in the unit tests. */
  actionlint: "v1.7.12",
  /**
   * The Go toolchain the builds use when no `go` (1.21 or later) is on PATH:
   * fetched through the Go module proxy as the module golang.org/toolchain.
   * The upstream modules ask for go 1.26 (Kubernetes 1.36: `go 1.26.0`).
   * Change it together with goToolchainSums below.
   */
  go: "go1.26.8",
} as const;

/**
 * The h1: hashes of the golang.org/toolchain module zips of `pins.go`, by
 * platform, as the Go checksum database records them (go.sum's format:
 * `go mod download -json golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64`
 * prints the same `Sum`, and so does the checksum database's lookup of that
 * module version). A fetched toolchain is used only when its zip hashes to this.
 */
export const goToolchainSums: Readonly<Record<string, string>> = {
  "linux-amd64": "h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=",
  "linux-arm64": "h1:sYL/O6MqS68ML0kjsQ36WoYIpJqkw60TxizWUYUKQMc=",
};

/** The release archives of pins.csiHostpath and pins.nodeDriverRegistrar, as `git archive` made them from the tags. */
export const sourceArchives = {
  csiHostpath: {
    file: `csi-driver-host-path-${pins.csiHostpath}.tar.gz`,
    sha256: "4a1bb9ff4f610165cebaf1ba62bed166a177a9b6bd46dd5b06e005822c171d09",
    topDir: `csi-driver-host-path-${pins.csiHostpath}`,
  },
  nodeDriverRegistrar: {
    file: `node-driver-registrar-${pins.nodeDriverRegistrar}.tar.gz`,
    sha256: "4f96882ad74e4b657a6d50cffe5cc737b883bc4d78848e3202d290a9726068ee",
    topDir: `node-driver-registrar-${pins.nodeDriverRegistrar}`,
  },
} as const;

/** "v1.36.3" -> "v0.36.3": the tag of the k8s.io/* staging modules released with a Kubernetes version. */
export function stagingVersion(kubernetesVersion: string): string {
  const match = /^v1\.(\d+\.\d+)$/.exec(kubernetesVersion);
  if (!match) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return `v0.${match[1]}`;
}
