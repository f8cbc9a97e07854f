import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type {
  KubernetesObject,
  V1Container,
  V1CSINode,
  V1DaemonSet,
  V1Deployment,
  V1Node,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { serverSideApply } from "../../lib/kube/apply.ts";
import type { Kube } from "../../lib/kube/client.ts";
import { resources } from "../../lib/kube/resources.ts";
import { waitFor } from "../../lib/kube/wait.ts";
import { ZONE_LABEL } from "../../lib/labels.ts";
import { driverArgs } from "../csi-driver/config.ts";
import { renderCSIDriver, renderStorageClass } from "../local/objects.ts";
import type { LocalStorageClass } from "../local/storage.ts";
import { KIND_ZONES } from "./config.ts";

/**
 * Installs the suite's CSI drivers on a kind cluster, from manifests/kind:
 * the same classes as the local cluster (clusters/local/storage.ts),
 * this time with node plugins that real kubelets mount volumes through.
 */

export interface CsiImages {
  csiDriver: string;
  csiProvisioner: string;
  csiAttacher: string;
}

const manifests = new URL("../../manifests/kind/", import.meta.url);

/**
 * Where a class's volume data lives on the nodes: one directory every node
 * shares, or the node's own for node-local storage. A zonal disk's bytes are
 * the same from every node of its zone: the shared directory stands for them.
 */
export function dataDir(storageClass: LocalStorageClass): string {
  return storageClass.topologyKey && !storageClass.zonal
    ? `/var/lib/amc-csi/local/${storageClass.className}`
    : `${sharedDataMount}/${storageClass.className}`;
}

/**
 * The directory of the host the kind config mounts into every node: what
 * network storage looks like from the nodes (the same bytes everywhere).
 */
export const sharedDataMount = "/var/lib/amc-csi/shared";

const controllerStateDir = "/var/lib/amc-csi/controller";
const protos = "/opt/amc-csi/protos";

export async function renderCsiObjects(
  classes: readonly LocalStorageClass[],
  images: CsiImages,
  zones: readonly string[] = KIND_ZONES,
): Promise<KubernetesObject[]> {
  const common = parseManifest(await readFile(new URL("amc-csi-common.yaml", manifests), "utf8"));
  const template = await readFile(new URL("amc-csi-driver.yaml", manifests), "utf8");
  const perClass = classes.flatMap((storageClass) => {
    const text = template
      .replaceAll("{{className}}", storageClass.className)
      .replaceAll("{{driverName}}", storageClass.driverName)
      .replaceAll("{{driverImage}}", images.csiDriver)
      .replaceAll("{{provisionerImage}}", images.csiProvisioner)
      .replaceAll("{{attacherImage}}", images.csiAttacher)
      .replaceAll("{{dataDir}}", dataDir(storageClass));
    const [controller, node] = parseManifest(text) as [V1Deployment, V1DaemonSet];
    configureController(controller, storageClass);
    if (!storageClass.zonal) {
      configureNode(node, storageClass);
      return [controller, node];
    }
    return [controller, ...zones.map((zone) => zoneNodePlugin(node, storageClass, zone))];
  });
  const apiObjects = classes.flatMap((storageClass) => [
    renderCSIDriver(storageClass),
    renderStorageClass(storageClass),
  ]);
  return [...common, ...perClass, ...apiObjects];
}

/** The objects of a multi-document YAML manifest (empty documents left out). */
export function parseManifest(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}

function container(deployment: V1Deployment | V1DaemonSet, name: string): V1Container {
  const found = deployment.spec?.template.spec?.containers.find((c) => c.name === name);
  if (!found) throw new Error(`manifests/kind: no container ${name} in ${deployment.metadata?.name}`);
  return found;
}

function configureController(deployment: V1Deployment, storageClass: LocalStorageClass): void {
  container(deployment, "driver").args = driverArgs({
    mode: "controller",
    name: storageClass.driverName,
    socket: "/csi/csi.sock",
    stateDir: controllerStateDir,
    csiProto: `${protos}/csi.proto`,
    attach: storageClass.attachRequired,
    ...(storageClass.topologyKey ? { topologyKey: storageClass.topologyKey } : {}),
    accessModes: storageClass.accessModes,
  });
  if (storageClass.topologyKey) container(deployment, "csi-provisioner").args?.push("--strict-topology=true");
  const spec = deployment.spec?.template.spec;
  if (spec && !storageClass.attachRequired) {
    spec.containers = spec.containers.filter((c) => c.name !== "csi-attacher");
  }
}

/**
 * A zonal class's node plugin for the nodes of one zone: it reports the zone
 * (--topology-value), which a node plugin cannot learn from the kubelet, so
 * each zone gets its DaemonSet.
 */
function zoneNodePlugin(template: V1DaemonSet, storageClass: LocalStorageClass, zone: string): V1DaemonSet {
  const daemonSet = structuredClone(template);
  const app = `${storageClass.className}-node-${zone}`;
  daemonSet.metadata = { ...daemonSet.metadata, name: app };
  const spec = daemonSet.spec as NonNullable<V1DaemonSet["spec"]>;
  spec.selector = { matchLabels: { app } };
  spec.template.metadata = { ...spec.template.metadata, labels: { app } };
  spec.template.spec = { ...spec.template.spec, nodeSelector: { [ZONE_LABEL]: zone } } as NonNullable<
    typeof spec.template.spec
  >;
  configureNode(daemonSet, storageClass, zone);
  return daemonSet;
}

function configureNode(daemonSet: V1DaemonSet, storageClass: LocalStorageClass, zone?: string): void {
  const socket = `/var/lib/kubelet/plugins/${storageClass.driverName}/csi.sock`;
  container(daemonSet, "driver").args = driverArgs({
    mode: "node",
    name: storageClass.driverName,
    socket,
    csiProto: `${protos}/csi.proto`,
    nodeId: "$(NODE_NAME)",
    dataDir: "/var/lib/amc-csi/data",
    attach: false, // attaching is the controller's part
    ...(storageClass.topologyKey ? { topologyKey: storageClass.topologyKey } : {}),
    ...(zone ? { topologyValue: zone } : {}),
    accessModes: storageClass.accessModes,
    registration: {
      dir: "/var/lib/kubelet/plugins_registry",
      proto: `${protos}/pluginregistration.proto`,
      kubeletEndpoint: socket,
    },
  });
}

/** The namespace annotation that records which rendering of the install the cluster has. */
export const INSTALL_DIGEST_ANNOTATION = "access-mode-conformance/csi-install-digest";

/** A digest of the rendered install: the same classes and images give the same digest. */
export function installDigest(objects: readonly KubernetesObject[]): string {
  return createHash("sha256").update(JSON.stringify(objects)).digest("hex").slice(0, 16);
}

/**
 * Installs (or updates) the drivers and waits until every node registered
 * them. On a reused cluster that has this very install (its namespace carries
 * the digest, its Deployments and DaemonSets exist) nothing is applied: only
 * the registration is checked.
 */
export async function installCsiDrivers(
  kube: Kube,
  classes: readonly LocalStorageClass[],
  images: CsiImages,
  timeoutMs: number,
): Promise<"applied" | "unchanged"> {
  const objects = await renderCsiObjects(classes, images);
  const digest = installDigest(objects);
  const unchanged = await hasInstall(kube, objects, digest);
  if (!unchanged) {
    const [namespace, ...rest] = objects;
    if (namespace?.kind !== "Namespace")
      throw new Error("manifests/kind: the install must start with its Namespace");
    namespace.metadata = {
      ...namespace.metadata,
      annotations: { ...namespace.metadata?.annotations, [INSTALL_DIGEST_ANNOTATION]: digest },
    };
    const apply = (object: KubernetesObject) => serverSideApply(kube, object);
    // The namespace first, the rest at once; the digest is on the namespace, so an install cut short is done again.
    await apply({ ...namespace, metadata: { ...namespace.metadata, annotations: {} } });
    await Promise.all(rest.map(apply));
    await apply(namespace);
  }
  await waitForDriversRegistered(kube, classes, timeoutMs);
  return unchanged ? "unchanged" : "applied";
}

async function hasInstall(
  kube: Kube,
  objects: readonly KubernetesObject[],
  digest: string,
): Promise<boolean> {
  const namespace = objects[0]?.metadata?.name ?? "";
  const found = await kube.core.readNamespace({ name: namespace }).catch(() => undefined);
  if (found?.metadata?.annotations?.[INSTALL_DIGEST_ANNOTATION] !== digest) return false;
  const [deployments, daemonSets] = await Promise.all([
    kube.objects.list("apps/v1", "Deployment", namespace),
    kube.objects.list("apps/v1", "DaemonSet", namespace),
  ]);
  const present = new Set([
    ...deployments.items.map((d) => `Deployment/${d.metadata?.name}`),
    ...daemonSets.items.map((d) => `DaemonSet/${d.metadata?.name}`),
  ]);
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")
    .every((o) => present.has(`${o.kind}/${o.metadata?.name}`));
}

/** Every node's CSINode lists every driver: the kubelets registered the node plugins. */
async function waitForDriversRegistered(
  kube: Kube,
  classes: readonly LocalStorageClass[],
  timeoutMs: number,
): Promise<void> {
  const nodes = (await kube.core.listNode()).items.map((node: V1Node) => node.metadata?.name ?? "");
  await waitForNodePlugins(kube, Object.fromEntries(classes.map((c) => [c.driverName, nodes])), timeoutMs);
}

/**
 * Until each driver's nodes list it in their CSINode: the kubelets registered
 * its node plugins there (the suite's drivers, upstream's hostpath driver).
 */
export async function waitForNodePlugins(
  kube: Kube,
  nodesByDriver: Readonly<Record<string, readonly string[]>>,
  timeoutMs: number,
): Promise<void> {
  const wanted = Object.entries(nodesByDriver);
  const description = `CSINodes listing ${wanted.map(([driver, nodes]) => `${driver} on ${nodes.join(", ")}`).join("; ")}`;
  await waitFor<V1CSINode, true>(kube, resources.csiNodes, { description, timeoutMs }, (csiNodes) => {
    const registered = (name: string) =>
      new Set((csiNodes.get(`/${name}`)?.spec.drivers ?? []).map((driver) => driver.name));
    return wanted.every(([driver, nodes]) => nodes.every((name) => registered(name).has(driver)))
      ? true
      : undefined;
  });
}
