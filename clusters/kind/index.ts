import type { ClusterProvider } from "../../lib/cluster/contract.ts";
import { newClusterName } from "../../lib/cluster/contract.ts";
import { down, kindClusters, status, up } from "./provider.ts";

/**
 * kind clusters: real kubelets in Docker, with kind's `standard` class and the
 * suite's CSI classes installed. A run without a named cluster creates one of
 * its own and deletes it (unless --keep); `amc cluster up` keeps one.
 */
export const kindProvider: ClusterProvider = {
  id: "kind",
  summary: "kind: real kubelets in Docker (images built on this machine when not given)",
  facts: { fidelity: "full", nodeFaults: false },
  async acquire({ settings, guard }) {
    const { name, keep } = settings.cluster;
    const images = { ...settings.kindImages, ...(settings.image ? { workload: settings.image } : {}) };
    // A named cluster, or one kept with --keep, outlives the run, also when it dies.
    if (name || keep) return up({ name: name ?? newClusterName(), ephemeral: false, images });
    const own = newClusterName();
    guard({ cluster: own });
    return up({ name: own, ephemeral: true, images });
  },
  lifecycle: {
    up: (name, settings) =>
      up({
        name: name ?? newClusterName(),
        ephemeral: false,
        images: { ...settings.kindImages, ...(settings.image ? { workload: settings.image } : {}) },
      }),
    down: (name) => down(name),
    status,
    list: () => kindClusters(),
  },
};
