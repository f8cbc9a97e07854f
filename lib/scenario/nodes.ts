import type { ClusterNode } from "../../clusters/types.ts";

/**
 * Where the pods go. Same-node scenarios use one node; cross-node scenarios
 * two, in the same zone when there is such a pair: on zonal storage a pod in
 * another zone is refused for its zone, which is not what the scenario asks.
 * When the volume already exists (Immediate binding) and is pinned to some
 * nodes, the first pod goes to one of those.
 */

export interface NodeChoice {
  first: string;
  second?: string;
  reason: string;
}

export function chooseNodes(
  nodes: readonly ClusterNode[],
  placement: "same-node" | "cross-node",
  reachableFrom?: readonly string[],
): NodeChoice | { notApplicable: string } {
  const sorted = [...nodes].sort((x, y) => x.name.localeCompare(y.name));
  const candidates = reachableFrom ? sorted.filter((n) => reachableFrom.includes(n.name)) : sorted;
  const pinned =
    reachableFrom && candidates.length < sorted.length
      ? ` (the volume is reachable from ${reachableFrom.join(", ")} only)`
      : "";
  const first = candidates[0];
  if (!first) {
    return { notApplicable: `no schedulable node can reach the volume${pinned}` };
  }
  if (placement === "same-node") {
    return { first: first.name, reason: `both pods on ${first.name}${pinned}` };
  }
  if (sorted.length < 2) {
    return {
      notApplicable: `the cluster has one schedulable node (${first.name}); a cross-node scenario needs two`,
    };
  }
  for (const a of candidates) {
    const sameZone = sorted.find((b) => b.name !== a.name && a.zone !== undefined && b.zone === a.zone);
    if (sameZone) {
      return {
        first: a.name,
        second: sameZone.name,
        reason: `${a.name} and ${sameZone.name}, both in zone ${a.zone}${pinned}`,
      };
    }
  }
  const other = sorted.find((b) => b.name !== first.name) as ClusterNode;
  const zones =
    first.zone || other.zone
      ? ` (no two nodes share a zone: ${first.zone ?? "none"} and ${other.zone ?? "none"})`
      : "";
  return {
    first: first.name,
    second: other.name,
    reason: `${first.name} and ${other.name}${zones}${pinned}`,
  };
}
