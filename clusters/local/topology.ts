import type { ClusterNode } from "../../lib/cluster/contract.ts";

/**
 * The local cluster's simulated nodes: two in one zone and one in another, so
 * that cross-node scenarios can pick two nodes in the same zone (what zonal
 * storage needs) and zone-aware placement has something to choose between.
 */
export const localNodes: readonly Required<ClusterNode>[] = [
  { name: "amc-node-a1", zone: "amc-zone-a" },
  { name: "amc-node-a2", zone: "amc-zone-a" },
  { name: "amc-node-b1", zone: "amc-zone-b" },
];
