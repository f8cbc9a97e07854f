import type { ClusterProvider } from "../../lib/cluster/contract.ts";
import { kubeconfigNodeFaults } from "./node-faults.ts";
import { acquireKubeconfigCluster } from "./provider.ts";

/** An existing cluster: never created nor deleted, so no lifecycle; fidelity read from its nodes. */
export const kubeconfigProvider: ClusterProvider = {
  id: "kubeconfig",
  summary: "an existing cluster (--kubeconfig, --context), never created nor deleted",
  facts: { fidelity: "detected", nodeFaults: "opt-in" },
  // The private copy holds credentials: the guardian learns of it before the (slow) preflight.
  acquire: ({ settings, guard }) =>
    acquireKubeconfigCluster(settings, { onPrivateCopy: (dir) => guard({ path: dir }) }),
  // Someone else's nodes: only with the user's opt-in and the user's own fail and restore commands.
  nodeFaults: (_cluster, settings) => kubeconfigNodeFaults(settings),
};
