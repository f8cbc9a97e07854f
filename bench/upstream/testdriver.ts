import { stringify } from "yaml";
import { localStorageClasses } from "../../clusters/local/storage.ts";
import type { Kube } from "../../lib/kube/client.ts";

/**
 * Upstream's external testdriver file (test/e2e/storage/external/external.go,
 * `e2e.test --storage.testdriver=FILE`), one per storage class: the driver's
 * name, the existing class to copy, and capabilities true to what the class
 * is. What the cluster says (CSIDriver attachRequired, CSINode topology keys)
 * comes from the cluster; what it cannot say (whether the driver offers
 * multi-node writers) from the suite's class definitions (clusters/local/storage.ts).
 */

export interface ClassFacts {
  className: string;
  /** The class's provisioner: the CSI driver's name, and upstream's DriverInfo.Name. */
  provisioner: string;
  /** CSIDriver spec.attachRequired (absent means true). */
  attachRequired: boolean;
  /** Every CSINode's topology keys for the driver. */
  topologyKeys: string[];
  /** The driver serves ReadWriteMany (MULTI_NODE_MULTI_WRITER). */
  rwx: boolean;
}

export async function classFacts(kube: Kube, className: string): Promise<ClassFacts> {
  const sc = await kube.storage.readStorageClass({ name: className });
  const provisioner = sc.provisioner;
  const driver = await kube.storage.readCSIDriver({ name: provisioner }).catch(() => undefined);
  const csiNodes = await kube.storage.listCSINode();
  const topologyKeys = new Set<string>();
  for (const node of csiNodes.items) {
    for (const d of node.spec?.drivers ?? []) {
      if (d.name === provisioner) for (const key of d.topologyKeys ?? []) topologyKeys.add(key);
    }
  }
  const known = localStorageClasses.find((c) => c.driverName === provisioner);
  return {
    className,
    provisioner,
    attachRequired: driver?.spec?.attachRequired ?? true,
    topologyKeys: [...topologyKeys].sort(),
    rwx: known?.accessModes.includes("MULTI_NODE_MULTI_WRITER") ?? false,
  };
}

/** The testdriver file's content (upstream reads YAML or JSON; unknown fields are ignored there). */
export function renderTestDriver(facts: ClassFacts): string {
  // A volume pinned to one node by topology cannot follow a pod to another node.
  const nodeLocal = facts.topologyKeys.length > 0;
  const definition = {
    StorageClass: { FromExistingClassName: facts.className },
    DriverInfo: {
      Name: facts.provisioner,
      // The suite's claims ask for 1Gi; upstream's default minimum is 5Gi.
      SupportedSizeRange: { Min: "1Gi" },
      Capabilities: {
        persistence: true,
        multipods: true,
        readWriteOncePod: true,
        exec: true,
        RWX: facts.rwx,
        // The suite's CSI driver serves filesystem volumes only.
        block: false,
        topology: nodeLocal,
        singleNodeVolume: nodeLocal,
        controllerExpansion: false,
        nodeExpansion: false,
        snapshotDataSource: false,
        pvcDataSource: false,
      },
      ...(nodeLocal ? { TopologyKeys: facts.topologyKeys } : {}),
    },
  };
  return `# ${facts.className}: attachRequired ${facts.attachRequired}, ${nodeLocal ? `node-local (${facts.topologyKeys.join(", ")})` : "no topology"}, RWX ${facts.rwx}\n${stringify(definition)}`;
}
