import { createHash } from "node:crypto";
import type { CoreV1Event, V1PersistentVolumeClaim, V1StorageClass } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import type { Kube } from "../kube/client.ts";
import { createNamespace, deleteNamespaceAndWait, waitForServiceAccount } from "../kube/namespaces.ts";
import { resources } from "../kube/resources.ts";
import { watchUntil } from "../kube/wait.ts";
import { hostnameOf, renderClaim, renderPod } from "../manifests.ts";
import { say } from "../progress.ts";
import type { RunContext } from "../run.ts";
import { runLabels } from "../run.ts";
import { isFinalProvisioningFailure } from "../scenario/classify.ts";
import { type NodePool, nodePool } from "../scenario/nodes.ts";
import type { ProbeResult, StorageProfile } from "../scenario/types.ts";
import { storageFamily, volumeReach, volumeSourceOf, zoneKeyOf } from "./family.ts";

/**
 * What the suites need to know about the cluster before any scenario: the
 * nodes pods may be placed on, and for each storage class under test its
 * provisioner, CSIDriver, and family, learned partly by provisioning one
 * small ReadWriteOnce probe volume per class and looking at it.
 */

/** The nodes pods may be placed on (all that take pods, or the ones named with AMC_NODES). */
export async function schedulableNodes(kube: Kube, named: readonly string[] = []): Promise<NodePool> {
  return nodePool((await kube.core.listNode()).items, named);
}

/** A class asked for (AMC_STORAGE_CLASSES, --storage-class) that the cluster does not have. */
export class UnknownStorageClassError extends UsageError {
  readonly unknown: string[];
  readonly available: string[];
  constructor(unknown: string[], available: string[]) {
    super(
      `unknown storage class(es): ${unknown.join(", ")}; the cluster has: ${[...available].sort().join(", ") || "no storage class at all"}`,
      "AMC_UNKNOWN_STORAGE_CLASS",
    );
    this.name = "UnknownStorageClassError";
    this.unknown = unknown;
    this.available = available;
  }
}

/** The classes to test: the ones asked for (all of the cluster's when none is). */
export async function storageClassesUnderTest(
  kube: Kube,
  wanted: readonly string[],
): Promise<V1StorageClass[]> {
  const all = (await kube.storage.listStorageClass()).items;
  const names = all.map((c) => c.metadata?.name ?? "");
  const unknown = wanted.filter((w) => !names.includes(w));
  if (unknown.length > 0) throw new UnknownStorageClassError(unknown, names);
  const chosen = wanted.length > 0 ? all.filter((c) => wanted.includes(c.metadata?.name ?? "")) : all;
  return chosen.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
}

/** A valid, unique claim name for a class's probe: "probe-<class, shortened>-<hash>". */
export function probeClaimName(className: string): string {
  const readable = className
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 40)
    .replace(/-+$/, "");
  return `probe-${readable}-${createHash("sha256").update(className).digest("hex").slice(0, 6)}`;
}

async function probeClass(
  kube: Kube,
  namespace: string,
  storageClass: V1StorageClass,
  node: string,
  run: RunContext,
  labels: Record<string, Record<string, string>>,
): Promise<ProbeResult> {
  const className = storageClass.metadata?.name ?? "";
  const claimName = probeClaimName(className);
  const claim = renderClaim({
    name: claimName,
    namespace,
    labels: runLabels(run.runId),
    accessMode: "ReadWriteOnce",
    storageClassName: className,
  });
  await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body: claim });
  if (storageClass.volumeBindingMode === "WaitForFirstConsumer") {
    if (!node) return { provisioned: false, message: "no schedulable node to place its first consumer on" };
    // Nothing is provisioned before a pod uses the claim.
    const pod = renderPod({
      name: claimName,
      namespace,
      labels: runLabels(run.runId),
      claimName,
      image: run.image,
      node,
      ...hostnameOf(node, labels),
    });
    await kube.core.createNamespacedPod({ namespace, body: pod });
  }
  type Outcome = { volume: string } | { failure: string };
  let lastFailure: string | undefined;
  const outcome = await watchUntil<"claims" | "events", Outcome>(
    kube,
    {
      claims: {
        resource: resources.persistentVolumeClaims,
        namespace,
        fieldSelector: `metadata.name=${claimName}`,
      },
      events: { resource: resources.events, namespace, fieldSelector: `involvedObject.name=${claimName}` },
    },
    { description: `the probe claim of ${className} to bind`, timeoutMs: 120_000 },
    (snapshot) => {
      const bound = [...snapshot.claims.values()][0] as V1PersistentVolumeClaim | undefined;
      if (bound?.status?.phase === "Bound" && bound.spec?.volumeName)
        return { volume: bound.spec.volumeName };
      const failures = ([...snapshot.events.values()] as CoreV1Event[]).filter(
        (e) => e.reason === "ProvisioningFailed",
      );
      lastFailure = failures.at(-1)?.message ?? lastFailure;
      const final = failures.find((e) => isFinalProvisioningFailure(e.message ?? ""));
      return final ? { failure: final.message ?? "ProvisioningFailed" } : undefined;
    },
  ).catch(
    (error: Error): Outcome => ({
      failure: `${error.message}${lastFailure ? `; last ProvisioningFailed: ${lastFailure}` : ""}`,
    }),
  );
  if ("failure" in outcome) return { provisioned: false, message: outcome.failure };
  const pv = await kube.core.readPersistentVolume({ name: outcome.volume });
  return { provisioned: true, volumeSource: volumeSourceOf(pv), ...volumeReach(pv, labels) };
}

/**
 * The CSI drivers each node's CSINode lists (the kubelet registered their
 * node plugins), or undefined when the run may not list CSINodes (an
 * optional permission): every node is then taken to have every plugin.
 */
async function driversByNode(kube: Kube): Promise<Map<string, Set<string>> | undefined> {
  const csiNodes = await kube.storage.listCSINode().catch((error: { code?: number }) => {
    if (error.code === 403) return undefined;
    throw error;
  });
  if (!csiNodes) return undefined;
  return new Map(
    csiNodes.items.map((n) => [n.metadata?.name ?? "", new Set((n.spec.drivers ?? []).map((d) => d.name))]),
  );
}

/** The pool's nodes with the driver's node plugin, when that is not every node of the pool (StorageProfile.pluginNodes). */
export function pluginNodesOf(
  driver: string,
  pool: NodePool,
  registered: ReadonlyMap<string, ReadonlySet<string>> | undefined,
): string[] | undefined {
  if (!registered) return undefined;
  const names = pool.nodes.map((n) => n.name);
  const withPlugin = names.filter((name) => registered.get(name)?.has(driver));
  return withPlugin.length < names.length ? withPlugin : undefined;
}

/**
 * Profiles every class under test, probing them side by side in one
 * namespace of the run. The profiles come back as soon as every probe is
 * decided; the namespace's removal (volumes included) is `removal`, which the
 * run awaits before its end (the first cases need not wait for it). It never
 * rejects: what it could not remove it says, and the run's sweep retries.
 */
export async function profileStorageClasses(
  kube: Kube,
  classes: readonly V1StorageClass[],
  nodes: NodePool,
  run: RunContext,
): Promise<{ storage: StorageProfile[]; removal: Promise<void> }> {
  const drivers = (await kube.storage.listCSIDriver()).items;
  const registered = await driversByNode(kube);
  const namespace = await createNamespace(kube, "amc-probe", run);
  say(
    "discovery",
    `probing ${classes.length} storage class(es) with one ReadWriteOnce volume each, in ${namespace}`,
  );
  const remove = async () => {
    const notes = await deleteNamespaceAndWait(kube, namespace).catch((error: Error) => [
      `the probe namespace ${namespace} was not removed: ${error.message}`,
    ]);
    for (const note of notes) say("discovery", note);
  };
  try {
    await waitForServiceAccount(kube, namespace);
    const storage = await Promise.all(
      classes.map(async (storageClass) => {
        const className = storageClass.metadata?.name ?? "";
        const provisioner = storageClass.provisioner ?? "";
        const driver = drivers.find((d) => d.metadata?.name === provisioner);
        const csiDriver = driver
          ? { name: provisioner, attachRequired: driver.spec.attachRequired ?? true }
          : undefined;
        const pluginNodes = csiDriver ? pluginNodesOf(provisioner, nodes, registered) : undefined;
        // Its first consumer goes where the driver can mount it.
        const probeNode = (pluginNodes ?? nodes.nodes.map((n) => n.name))[0] ?? "";
        const probe = await probeClass(kube, namespace, storageClass, probeNode, run, nodes.labels);
        const { family, reason } = storageFamily({
          className,
          ...(csiDriver ? { csiDriver } : {}),
          probe,
          nodeLabels: nodes.labels,
        });
        const zoneKey = zoneKeyOf(family, probe, nodes.labels);
        const zonal = zoneKey ? `; zonal: its volumes are pinned to a zone by ${zoneKey}` : "";
        const plugins = pluginNodes
          ? `; its driver's node plugin is on ${pluginNodes.join(", ") || "no node of the pool"} only (CSINode)`
          : "";
        say("discovery", `${className}: ${family} (${reason})${zonal}${plugins}`);
        return {
          className,
          provisioner,
          volumeBindingMode: storageClass.volumeBindingMode ?? "Immediate",
          ...(csiDriver ? { csiDriver } : {}),
          family,
          familyReason: `${reason}${zonal}`,
          probe,
          ...(zoneKey ? { zoneKey } : {}),
          ...(pluginNodes ? { pluginNodes } : {}),
        } satisfies StorageProfile;
      }),
    );
    return { storage, removal: remove() };
  } catch (error) {
    // A clean-up failure must not hide the probe's own error; it is said, and the run's sweep retries.
    await remove();
    throw error;
  }
}
