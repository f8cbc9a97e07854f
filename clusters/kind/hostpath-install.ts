import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubernetesObject, V1DaemonSet } from "@kubernetes/client-node";
import { execa } from "execa";
import { serverSideApply } from "../../lib/kube/apply.ts";
import type { Kube } from "../../lib/kube/client.ts";
import { components } from "../binaries/components.ts";
import { sourceArchives } from "../binaries/pins.ts";
import { resolveComponent } from "../binaries/resolve.ts";
import { sourceArchivePath } from "../binaries/upstream-src.ts";
import { parseManifest, waitForNodePlugins } from "./csi-install.ts";

/**
 * Upstream's reference CSI driver, kubernetes-csi csi-driver-host-path, on the
 * kind cluster, in two configurations:
 *
 *  - node-local, as upstream deploys it on several nodes: the manifests of
 *    `deploy/kubernetes-distributed/hostpath/` in the release archive (a
 *    DaemonSet of hostpathplugin, node-driver-registrar and external-provisioner
 *    in node-deployment mode, topology on; classes csi-hostpath-fast and
 *    csi-hostpath-slow) with external-provisioner's own RBAC, as its
 *    deploy.sh applies them. Changed: the image names, and the livenessprobe
 *    sidecar is left out (with the liveness probe of hostpathplugin it
 *    serves): neither the Go module proxy nor the archives provide its source.
 *    deploy.sh also drops storage capacity tracking on this Kubernetes (it
 *    looks for the v1beta1 CSIStorageCapacity API, which 1.27 removed); so
 *    does this install.
 *  - attachable (manifests/kind/hostpath-attach.yaml): --enable-attach and no
 *    topology, one plugin pod on the first worker, as the nightly matrix runs it.
 *
 * The storage family of each class is then found by discovery, from the
 * cluster (CSIDriver attachRequired, the volumes' node affinity), like any other.
 */

export interface HostpathImages {
  hostpath: string;
  nodeDriverRegistrar: string;
  csiProvisioner: string;
  csiAttacher: string;
}

/** The node-local install's driver (upstream's name) and the attachable one's. */
export const HOSTPATH_DRIVER = "hostpath.csi.k8s.io";
export const HOSTPATH_ATTACH_DRIVER = "attach.hostpath.csi.k8s.io";
export const HOSTPATH_ATTACH_CLASS = "csi-hostpath-attach";

/** Where upstream's deploy script puts the node-local install: the namespace of its RBAC file. */
const upstreamNamespace = "default";
const distributedDir = "deploy/kubernetes-distributed/hostpath";
/** The manifests deploy.sh applies from that directory (csi-hostpath-testing.yaml exposes the socket over TCP for csi-sanity: left out). */
const distributedFiles = [
  "csi-hostpath-driverinfo.yaml",
  "csi-hostpath-plugin.yaml",
  "csi-hostpath-storageclass-fast.yaml",
  "csi-hostpath-storageclass-slow.yaml",
];
/** deploy.sh's kustomization labels everything of the RBAC file so. */
const upstreamLabels = {
  "app.kubernetes.io/instance": HOSTPATH_DRIVER,
  "app.kubernetes.io/part-of": "csi-driver-host-path",
};

/** upstream's distributed deployment, images renamed, as objects to apply. */
export function renderDistributed(
  upstreamFiles: readonly string[],
  rbac: string,
  images: HostpathImages,
): KubernetesObject[] {
  const rbacObjects = parseManifest(rbac).map((object) => ({
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata?.labels, ...upstreamLabels } },
  }));
  const objects = upstreamFiles.flatMap(parseManifest);
  for (const object of objects) {
    if (object.kind === "CSIDriver") {
      // As deploy.sh does where the cluster lacks the v1beta1 CSIStorageCapacity API.
      delete (object as { spec: { storageCapacity?: boolean } }).spec.storageCapacity;
    }
    if (object.kind === "DaemonSet") renameImages(object as V1DaemonSet, images);
  }
  return [...rbacObjects, ...objects].map((object) =>
    namespaced(object) && !object.metadata?.namespace
      ? { ...object, metadata: { ...object.metadata, namespace: upstreamNamespace } }
      : object,
  );
}

function namespaced(object: KubernetesObject): boolean {
  return !["ClusterRole", "ClusterRoleBinding", "CSIDriver", "StorageClass", "Namespace"].includes(
    object.kind ?? "",
  );
}

function renameImages(daemonSet: V1DaemonSet, images: HostpathImages): void {
  const spec = daemonSet.spec?.template.spec;
  if (!spec) throw new Error("csi-hostpath-plugin.yaml: a DaemonSet without a pod template");
  const byName: Record<string, string> = {
    hostpath: images.hostpath,
    "node-driver-registrar": images.nodeDriverRegistrar,
    "csi-provisioner": images.csiProvisioner,
  };
  spec.containers = spec.containers.filter((container) => container.name !== "liveness-probe");
  for (const container of spec.containers) {
    const image = byName[container.name];
    if (!image) throw new Error(`csi-hostpath-plugin.yaml: unexpected container ${container.name}`);
    container.image = image;
    if (container.name === "hostpath") delete container.livenessProbe; // served by the liveness-probe sidecar
    if (container.name === "csi-provisioner") {
      container.args = container.args?.filter((arg) => !arg.startsWith("--enable-capacity"));
    }
  }
}

/** The attachable configuration (manifests/kind/hostpath-attach.yaml) on `node`. */
export async function renderAttachable(images: HostpathImages, node: string): Promise<KubernetesObject[]> {
  const template = await readFile(
    new URL("../../manifests/kind/hostpath-attach.yaml", import.meta.url),
    "utf8",
  );
  return parseManifest(
    template
      .replaceAll("{{driverName}}", HOSTPATH_ATTACH_DRIVER)
      .replaceAll("{{className}}", HOSTPATH_ATTACH_CLASS)
      .replaceAll("{{node}}", node)
      .replaceAll("{{hostpathImage}}", images.hostpath)
      .replaceAll("{{registrarImage}}", images.nodeDriverRegistrar)
      .replaceAll("{{provisionerImage}}", images.csiProvisioner)
      .replaceAll("{{attacherImage}}", images.csiAttacher),
  );
}

/** The distributed deployment's files, read from the release archive (never copied into the repository). */
export async function upstreamDistributedFiles(): Promise<string[]> {
  const archive = await sourceArchivePath(sourceArchives.csiHostpath);
  const top = sourceArchives.csiHostpath.topDir;
  const dir = await mkdtemp(join(tmpdir(), "amc-hostpath-"));
  try {
    await execa("tar", [
      "-xzf",
      archive,
      "-C",
      dir,
      ...distributedFiles.map((f) => `${top}/${distributedDir}/${f}`),
    ]);
    return await Promise.all(
      distributedFiles.map((f) => readFile(join(dir, top, distributedDir, f), "utf8")),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Applies both configurations (server-side apply: again on a reused cluster,
 * it changes nothing that is already so) and waits until the kubelets
 * registered them: every worker for the node-local driver, `attachNode` for
 * the attachable one.
 */
export async function installHostpath(
  kube: Kube,
  images: HostpathImages,
  workers: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const attachNode = workers[0] as string;
  const rbac = await readFile(
    join((await resolveComponent(components["csi-provisioner-rbac"])).dir, "rbac.yaml"),
    "utf8",
  );
  const objects = [
    ...renderDistributed(await upstreamDistributedFiles(), rbac, images),
    ...(await renderAttachable(images, attachNode)),
  ];
  const apply = (object: KubernetesObject) => serverSideApply(kube, object);
  // Namespaces first: the rest may live in them.
  await Promise.all(objects.filter((o) => o.kind === "Namespace").map(apply));
  await Promise.all(objects.filter((o) => o.kind !== "Namespace").map(apply));
  await waitForNodePlugins(
    kube,
    { [HOSTPATH_DRIVER]: workers, [HOSTPATH_ATTACH_DRIVER]: [attachNode] },
    timeoutMs,
  );
}
