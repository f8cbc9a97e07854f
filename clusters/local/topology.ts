import type { ClusterNode } from "../../lib/cluster/contract.ts";

/**
 * The local cluster's simulated nodes: two in each of two zones, so that
 * cross-node scenarios can pick two nodes in the same zone (what zonal
 * storage needs), zone-aware placement has something to choose between, and
 * the node-failure scenarios can fail one node per fault mode at once, each
 * with a node of its zone to move to (lib/failover/plan.ts).
 */
export const localNodes: readonly Required<ClusterNode>[] = [
  { name: "amc-node-a1", zone: "amc-zone-a" },
  { name: "amc-node-a2", zone: "amc-zone-a" },
  { name: "amc-node-b1", zone: "amc-zone-b" },
  { name: "amc-node-b2", zone: "amc-zone-b" },
];
