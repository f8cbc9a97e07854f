import type { V1NodeSelectorTerm, V1PersistentVolume } from "@kubernetes/client-node";
import type { ProbeResult, StorageFamily } from "../scenario/types.ts";

/**
 * A class's storage family, decided from what the cluster says, in this order:
 *  0. no probe volume could be provisioned: unknown (nothing tells node-local
 *     storage from the rest without a volume to look at);
 *  1. a probe volume whose node affinity admits exactly one node, on a key
 *     that names single nodes: node-local;
 *  2. a CSIDriver that requires attach (attachRequired true or unset), or an
 *     attachable in-tree volume source: attachable;
 *  3. a CSIDriver with attachRequired false, or an in-tree file-share source: shared;
 *  4. anything else: unknown (reported, and family-dependent scenarios are inconclusive).
 */

export interface FamilyFacts {
  className: string;
  csiDriver?: { name: string; attachRequired: boolean };
  probe: ProbeResult;
  /** Every node's labels, to tell a node-level topology key from a zone-level one. */
  nodeLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** In-tree volume sources the attach/detach controller attaches to nodes. */
const attachableSources = new Set([
  "awsElasticBlockStore",
  "gcePersistentDisk",
  "azureDisk",
  "cinder",
  "rbd",
  "iscsi",
  "fc",
  "vsphereVolume",
  "portworxVolume",
  "photonPersistentDisk",
  "scaleIO",
  "storageos",
]);
/** In-tree sources that mount a share on any node, without attach. */
const sharedSources = new Set(["nfs", "cephfs", "glusterfs", "azureFile", "quobyte"]);

/**
 * Whether `key` names single nodes (kubernetes.io/hostname, a driver's
 * per-node topology key): every node carrying it has a value of its own, and
 * it is not a zone or region key, which can look the same on a cluster with
 * one node per zone.
 */
export function namesSingleNodes(key: string, nodeLabels: FamilyFacts["nodeLabels"]): boolean {
  if (/zone|region/i.test(key)) return false;
  const values = Object.values(nodeLabels)
    .map((labels) => labels[key])
    .filter((v): v is string => v !== undefined);
  return values.length > 0 && new Set(values).size === values.length;
}

export function storageFamily(facts: FamilyFacts): { family: StorageFamily; reason: string } {
  const { probe, csiDriver } = facts;
  if (!probe.provisioned) {
    const driver = csiDriver
      ? `CSIDriver ${csiDriver.name} attachRequired ${csiDriver.attachRequired}`
      : "no CSIDriver";
    return {
      family: "unknown",
      reason: `${driver}; no volume could be provisioned to inspect: ${probe.message}`,
    };
  }
  const nodeKey = Object.keys(probe.nodeAffinity).find((key) => namesSingleNodes(key, facts.nodeLabels));
  if (probe.reachableFrom.length === 1 && nodeKey) {
    const node = probe.reachableFrom[0];
    return {
      family: "node-local",
      reason: `a provisioned volume is pinned to node ${node} by node affinity on ${nodeKey}`,
    };
  }
  if (csiDriver?.attachRequired) {
    return {
      family: "attachable",
      reason: `CSIDriver ${csiDriver.name} requires attach (attachRequired true or unset)`,
    };
  }
  if (csiDriver) {
    const reason = `CSIDriver ${csiDriver.name} has attachRequired false and its volumes are not pinned to one node`;
    return { family: "shared", reason };
  }
  if (attachableSources.has(probe.volumeSource)) {
    const reason = `its volumes are ${probe.volumeSource}, which the attach/detach controller attaches`;
    return { family: "attachable", reason };
  }
  if (sharedSources.has(probe.volumeSource)) {
    const reason = `its volumes are ${probe.volumeSource} shares, mounted on any node without attach`;
    return { family: "shared", reason };
  }
  return {
    family: "unknown",
    reason: `no CSIDriver, and a ${probe.volumeSource} volume that is not pinned to one node`,
  };
}

/** The name of the PersistentVolume's source field ("csi", "nfs", "hostPath", ...). */
export function volumeSourceOf(pv: V1PersistentVolume): string {
  const spec = (pv.spec ?? {}) as Record<string, unknown>;
  const notSources = new Set([
    "accessModes",
    "capacity",
    "claimRef",
    "mountOptions",
    "nodeAffinity",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "volumeMode",
    "volumeAttributesClassName",
  ]);
  return Object.keys(spec).find((key) => !notSources.has(key) && spec[key] !== undefined) ?? "unknown";
}

function matchesTerm(term: V1NodeSelectorTerm, labels: Readonly<Record<string, string>>): boolean {
  return (term.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
}

/** The PV's required node-affinity terms as key -> values, and the nodes they admit. */
export function volumeReach(
  pv: V1PersistentVolume,
  nodeLabels: FamilyFacts["nodeLabels"],
): { nodeAffinity: Record<string, string[]>; reachableFrom: string[] } {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const nodeAffinity: Record<string, string[]> = {};
  for (const expression of terms.flatMap((t) => t.matchExpressions ?? [])) {
    nodeAffinity[expression.key] = [...(nodeAffinity[expression.key] ?? []), ...(expression.values ?? [])];
  }
  const nodes = Object.keys(nodeLabels).sort();
  const reachableFrom =
    terms.length === 0
      ? nodes
      : nodes.filter((node) => terms.some((t) => matchesTerm(t, nodeLabels[node] ?? {})));
  return { nodeAffinity, reachableFrom };
}

/**
 * The topology key zonal storage pins its volumes by, from the probe volume:
 * a node-affinity key that does not name single nodes (a zone, a region).
 * Undefined for node-local storage (pinned to one node: that is its family)
 * and for storage without node affinity.
 */
export function zoneKeyOf(
  family: StorageFamily,
  probe: ProbeResult,
  nodeLabels: FamilyFacts["nodeLabels"],
): string | undefined {
  if (family === "node-local" || !probe.provisioned) return undefined;
  const carried = (key: string) => Object.values(nodeLabels).some((labels) => labels[key] !== undefined);
  return Object.keys(probe.nodeAffinity).find((key) => carried(key) && !namesSingleNodes(key, nodeLabels));
}
