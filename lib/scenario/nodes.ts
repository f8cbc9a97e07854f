import type { V1Node } from "@kubernetes/client-node";
import type { ClusterNode } from "../cluster/contract.ts";
import { clusterNodeOf } from "../cluster/contract.ts";
import { InfrastructureError, UsageError } from "../errors.ts";
import { unschedulableReason } from "../kube/nodes.ts";
import { ZONE_LABEL } from "../labels.ts";
import type { Placement } from "./types.ts";

/**
 * Where the pods go. First the pool: the nodes that take the suite's pods
 * (Ready, not cordoned, no NoSchedule/NoExecute taint: the pods tolerate
 * nothing), or the ones the user named with AMC_NODES. Then, per scenario,
 * the choice: same-node scenarios use one node; cross-node scenarios two, in
 * the same zone when there is such a pair, and necessarily so on zonal
 * storage, where a pod in another zone is refused for its zone (a node
 * affinity conflict), which is not what the scenario asks. When the volume
 * already exists (Immediate binding) and is pinned to some nodes, the first
 * pod goes to one of those. Every choice says why, for the run's record.
 */

export interface ExcludedNode {
  name: string;
  why: string;
}

export interface NodePool {
  /** The nodes pods may go to, in order of preference. */
  nodes: ClusterNode[];
  /** Set by classPool when a class's CSI node plugin is not on every node: which driver's. */
  pluginsOf?: string;
  /** Every other node of the cluster, and why it is left out. */
  excluded: ExcludedNode[];
  /** Labels of the nodes in the pool (to see which nodes a volume reaches). */
  labels: Record<string, Record<string, string>>;
  /** The user named the nodes (AMC_NODES): they are used in the order given. */
  named: boolean;
}

/**
 * The pool from the cluster's Node objects. Named nodes must exist and take
 * pods (a UsageError names the cluster's nodes otherwise); a cluster where no
 * node takes pods cannot run any scenario (InfrastructureError, with why).
 */
export function nodePool(all: readonly V1Node[], asked: readonly string[] = []): NodePool {
  const named = [...new Set(asked)];
  const byName = new Map(all.map((node) => [node.metadata?.name ?? "", node]));
  const known = [...byName.keys()].sort();
  const unknown = named.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `AMC_NODES: unknown node(s) ${unknown.join(", ")}; the cluster's nodes are: ${known.join(", ") || "none"}`,
    );
  }
  const refused = named.flatMap((name) => {
    const why = unschedulableReason(byName.get(name) as V1Node);
    return why ? [`${name} (${why})`] : [];
  });
  if (refused.length > 0) {
    throw new UsageError(
      `AMC_NODES: the suite's pods cannot run on ${refused.join(", ")}: they tolerate no taint; name other nodes, or leave AMC_NODES unset to let the suite choose`,
    );
  }
  const pool: NodePool = { nodes: [], excluded: [], labels: {}, named: named.length > 0 };
  const order = named.length > 0 ? [...named, ...known.filter((n) => !named.includes(n))] : known;
  for (const name of order) {
    const node = byName.get(name) as V1Node;
    const why =
      named.length > 0 && !named.includes(name) ? "not named in AMC_NODES" : unschedulableReason(node);
    if (why) {
      pool.excluded.push({ name, why });
      continue;
    }
    pool.nodes.push(clusterNodeOf(node));
    pool.labels[name] = { ...(node.metadata?.labels ?? {}) };
  }
  if (pool.nodes.length === 0) {
    const reasons = pool.excluded.map((e) => `  - ${e.name}: ${e.why}`).join("\n");
    throw new InfrastructureError(
      `no node of the cluster takes the suite's pods, which tolerate no taint:\n${reasons || "  (the cluster has no nodes)"}`,
    );
  }
  return pool;
}

/**
 * The pool of one storage class: the nodes where its CSI driver has a node
 * plugin (StorageProfile.pluginNodes); the others are left out, with why. A
 * driver registered on one node makes every two-node scenario not applicable
 * on that class, instead of a mount that could never happen.
 */
export function classPool(
  pool: NodePool,
  storage: { pluginNodes?: readonly string[]; csiDriver?: { name: string } },
): NodePool {
  const { pluginNodes } = storage;
  if (!pluginNodes) return pool;
  const driver = storage.csiDriver?.name ?? "its CSI driver";
  const without = pool.nodes.filter((n) => !pluginNodes.includes(n.name));
  return {
    ...pool,
    pluginsOf: driver,
    nodes: pool.nodes.filter((n) => pluginNodes.includes(n.name)),
    excluded: [
      ...pool.excluded,
      ...without.map((n) => ({
        name: n.name,
        why: `no node plugin of ${driver}: its CSINode does not list the driver`,
      })),
    ],
  };
}

/** What the runner knows about the pool besides its nodes. */
export interface PoolFacts {
  named?: boolean;
  excluded?: readonly ExcludedNode[];
  pluginsOf?: string;
}

/**
 * Why a placement cannot be had on this pool at all (before anything is
 * created), or undefined. A cross-node scenario needs two nodes; a
 * cross-zone one, two nodes in different zones (of the `topology.kubernetes.io/zone`
 * label here: zonal storage's own key is checked when the nodes are chosen).
 */
export function placementGate(
  nodes: readonly ClusterNode[],
  placement: Placement,
  facts: PoolFacts = {},
): string | undefined {
  if (placement === "same-node") return undefined;
  const others =
    facts.excluded && facts.excluded.length > 0
      ? `; left out: ${facts.excluded.map((e) => `${e.name} (${e.why})`).join(", ")}`
      : "";
  if (nodes.length >= 2) {
    const zones = new Set(nodes.flatMap((n) => (n.zone ? [n.zone] : [])));
    if (placement === "cross-node" || zones.size >= 2) return undefined;
    const where = nodes.map((n) => `${n.name}: ${n.zone ?? "no zone"}`).join(", ");
    const who = facts.named ? "the nodes AMC_NODES names are" : "the schedulable nodes are";
    return `${who} not in two zones (${where}); a cross-zone scenario needs nodes in two zones${others}`;
  }
  const names = nodes.map((n) => n.name).join(", ");
  if (facts.named) return `AMC_NODES names one node (${names}); a ${placement} scenario needs two`;
  if (facts.pluginsOf) {
    return `the node plugin of ${facts.pluginsOf} is on ${nodes.length === 0 ? "no schedulable node" : `one schedulable node only (${names})`}: a ${placement} scenario needs two nodes that can mount the volume${others}`;
  }
  return nodes.length === 0
    ? `the cluster has no schedulable node; a ${placement} scenario needs two${others}`
    : `the cluster has one schedulable node (${names}); a ${placement} scenario needs two${others}`;
}

export interface NodeChoice {
  first: string;
  second?: string;
  reason: string;
}

export interface PlacementFacts extends PoolFacts {
  /** The nodes an existing volume can be used from (Immediate binding and node affinity). */
  reachableFrom?: readonly string[];
  /**
   * The topology key zonal storage pins its volumes by (a zone, spanning
   * several nodes): both nodes of a cross-node pair must share its value.
   */
  zoneKey?: string;
  /** Node labels, to read `zoneKey`. */
  nodeLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export function chooseNodes(
  nodes: readonly ClusterNode[],
  placement: Placement,
  facts: PlacementFacts = {},
): NodeChoice | { notApplicable: string } {
  const { reachableFrom, zoneKey, named } = facts;
  const ordered = named ? [...nodes] : [...nodes].sort((x, y) => x.name.localeCompare(y.name));
  const candidates = reachableFrom ? ordered.filter((n) => reachableFrom.includes(n.name)) : ordered;
  const how = named ? " (named in AMC_NODES)" : "";
  const pinned =
    reachableFrom && candidates.length < ordered.length
      ? ` (the volume is reachable from ${reachableFrom.join(", ")} only)`
      : "";
  const first = candidates[0];
  if (!first) {
    if (facts.pluginsOf && nodes.length === 0) {
      return {
        notApplicable: `the node plugin of ${facts.pluginsOf} is on no schedulable node (no CSINode lists it)`,
      };
    }
    return { notApplicable: `no schedulable node can reach the volume${how}${pinned}` };
  }
  if (placement === "same-node") {
    return { first: first.name, reason: `both pods on ${first.name}${how}${pinned}` };
  }
  const gate = placementGate(ordered, placement, facts);
  if (gate) return { notApplicable: gate };
  if (placement === "cross-zone") return crossZonePair(ordered, candidates, facts, `${how}${pinned}`);
  if (zoneKey) return zonalPair(ordered, candidates, zoneKey, facts, `${how}${pinned}`);
  for (const a of candidates) {
    const sameZone = ordered.find((b) => b.name !== a.name && a.zone !== undefined && b.zone === a.zone);
    if (sameZone) {
      return {
        first: a.name,
        second: sameZone.name,
        reason: `${a.name} and ${sameZone.name}, both in zone ${a.zone}${how}${pinned}`,
      };
    }
  }
  const other = ordered.find((b) => b.name !== first.name) as ClusterNode;
  const zones =
    first.zone || other.zone
      ? ` (no two nodes share a zone: ${first.zone ?? "none"} and ${other.zone ?? "none"})`
      : "";
  return {
    first: first.name,
    second: other.name,
    reason: `${first.name} and ${other.name}${zones}${how}${pinned}`,
  };
}

/**
 * Two nodes in different zones: the first where the volume is (when it
 * exists), the second in another zone. Zones are those of zonal storage's
 * own key when it has one (what pins its volumes), else the nodes'
 * `topology.kubernetes.io/zone`.
 */
function crossZonePair(
  ordered: readonly ClusterNode[],
  candidates: readonly ClusterNode[],
  facts: PlacementFacts,
  notes: string,
): NodeChoice | { notApplicable: string } {
  const { zoneKey } = facts;
  const key = zoneKey ?? ZONE_LABEL;
  const zoneOf = (node: ClusterNode) => (zoneKey ? facts.nodeLabels?.[node.name]?.[zoneKey] : node.zone);
  for (const a of candidates) {
    const zone = zoneOf(a);
    const b = ordered.find((n) => zone !== undefined && zoneOf(n) !== undefined && zoneOf(n) !== zone);
    if (b) {
      return {
        first: a.name,
        second: b.name,
        reason: `${a.name} in ${key}=${zone}, ${b.name} in ${key}=${zoneOf(b)}${notes}`,
      };
    }
  }
  const zones = ordered.map((n) => `${n.name}: ${zoneOf(n) ?? "none"}`).join(", ");
  return {
    notApplicable: `no two schedulable nodes are in different zones of ${key} (${zones}), or none of another zone than the volume's${notes}`,
  };
}

/** Zonal storage: two nodes with the same value of the storage's zone key, or not applicable. */
function zonalPair(
  ordered: readonly ClusterNode[],
  candidates: readonly ClusterNode[],
  zoneKey: string,
  facts: PlacementFacts,
  notes: string,
): NodeChoice | { notApplicable: string } {
  const zoneOf = (node: ClusterNode) => facts.nodeLabels?.[node.name]?.[zoneKey];
  const reaches = (node: ClusterNode) => !facts.reachableFrom || facts.reachableFrom.includes(node.name);
  for (const a of candidates) {
    const zone = zoneOf(a);
    const b = ordered.find(
      (n) => n.name !== a.name && zone !== undefined && zoneOf(n) === zone && reaches(n),
    );
    if (b) {
      return {
        first: a.name,
        second: b.name,
        reason: `${a.name} and ${b.name}, both in ${zoneKey}=${zone}: the storage is zonal, and a node in another zone could not use the volume at all${notes}`,
      };
    }
  }
  const zones = ordered.map((n) => `${n.name}: ${zoneOf(n) ?? "none"}`).join(", ");
  return {
    notApplicable: `the storage is zonal (its volumes are pinned by ${zoneKey}) and no two schedulable nodes share a ${zoneKey} (${zones}): a pod in another zone would be refused for its zone, not for the access mode${notes}`,
  };
}
