import type { ClusterProvider } from "../../lib/cluster/contract.ts";
import { newClusterName } from "../../lib/cluster/contract.ts";
import type { Settings } from "../../lib/settings.ts";
import { kindNodeFaults } from "./node-faults.ts";
import { down, kindClusters, status, up } from "./provider.ts";
import type { KindImageSettings } from "./settings.ts";

/**
 * kind clusters: real kubelets in Docker, with kind's `standard` class and the
 * suite's CSI classes installed. A run without a named cluster creates one of
 * its own and deletes it (unless --keep); `amc cluster up` keeps one.
 */
export const kindProvider: ClusterProvider = {
  id: "kind",
  summary: "real kubelets in Docker, images built on this machine unless given",
  facts: { fidelity: "full", nodeFaults: true },
  async acquire({ settings, guard }) {
    const { name, keep } = settings.cluster;
    // A named cluster, or one kept with --keep, outlives the run, also when it dies.
    if (name || keep)
      return up({ name: name ?? newClusterName(), ephemeral: false, images: imagesOf(settings) });
    const own = newClusterName();
    guard({ cluster: own });
    return up({ name: own, ephemeral: true, images: imagesOf(settings) });
  },
  lifecycle: {
    up: (name, settings) =>
      up({ name: name ?? newClusterName(), ephemeral: false, images: imagesOf(settings) }),
    down: (name) => down(name),
    status,
    list: () => kindClusters(),
  },
  // A node is a Docker container: its kubelet stopped, or the whole container paused.
  nodeFaults: (cluster) => kindNodeFaults(cluster),
};

/** The images the settings give (the others are built here): kind's own, and the pods' image. */
function imagesOf(settings: Settings): KindImageSettings {
  return { ...settings.kindImages, ...(settings.image ? { workload: settings.image } : {}) };
}
