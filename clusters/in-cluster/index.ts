import type { ClusterProvider } from "../../lib/cluster/contract.ts";
import { acquireInCluster } from "./provider.ts";

/** The cluster amc's own pod runs in (a Job, a Sonobuoy plugin): never created nor deleted. */
export const inClusterProvider: ClusterProvider = {
  id: "in-cluster",
  summary: "the cluster amc's pod runs in (a Job, a Sonobuoy plugin), with the pod's ServiceAccount",
  facts: { fidelity: "detected", nodeFaults: false },
  acquire: ({ settings, guard }) =>
    acquireInCluster(settings, { onPrivateCopy: (dir) => guard({ path: dir }) }),
  // Failing a node needs a way into it that a pod does not have: the node-failure
  // scenarios are not applicable here, with this reason.
  nodeFaults: () => ({
    unavailable:
      "inside the cluster amc has no way to stop a node's kubelet or power it off; run the node-failure scenarios from outside with --kubeconfig and --allow-node-faults",
  }),
};
