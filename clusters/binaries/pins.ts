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
  /** rhysd/actionlint, which checks the GitHub Actions workflows (.github/workflows) in the unit tests. */
  actionlint: "v1.7.12",
} as const;

/** "v1.36.3" -> "v0.36.3": the tag of the k8s.io/* staging modules released with a Kubernetes version. */
export function stagingVersion(kubernetesVersion: string): string {
  const match = /^v1\.(\d+\.\d+)$/.exec(kubernetesVersion);
  if (!match) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return `v0.${match[1]}`;
}
