import { type CsiAccessMode, csiAccessModes, singleNodeModes } from "../csi-driver/config.ts";

/**
 * The local cluster's storage classes: one per family of real storage, and a
 * zonal one (attachable, each volume pinned to a zone, as cloud disks are).
 * Each has its own CSI driver name, served by one process of the suite's CSI
 * driver with the flags that give it that family's behaviour, next to the real
 * kubernetes-csi sidecars. A cluster may carry more copies of the three
 * families' classes (localStorageClassCopies), to measure how the suite scales
 * with classes.
 */
export interface LocalStorageClass {
  className: string;
  driverName: string;
  /** What real storage this class stands for. */
  standsFor: string;
  /** CSIDriver spec.attachRequired: whether the attach/detach controller creates VolumeAttachments. */
  attachRequired: boolean;
  /** Node label and CSINode topology key that pins each volume to one node (to one zone when `zonal`). */
  topologyKey?: string;
  /** The topology key's value is the node's zone, not its name: every node of a zone reaches the zone's volumes. */
  zonal?: boolean;
  volumeBindingMode: "Immediate" | "WaitForFirstConsumer";
  /** Why that binding mode: what the real storage's classes use. */
  bindingModeReason: string;
  accessModes: readonly CsiAccessMode[];
}

/**
 * The single-node modes and ReadOnlyMany: what block storage that attaches
 * read-only to many nodes offers (GCE PD, Ceph RBD), and what node-local
 * storage can serve to the pods of its one node.
 */
const singleNodeAndReadOnlyMany: readonly CsiAccessMode[] = [...singleNodeModes, "MULTI_NODE_READER_ONLY"];

/** One class per family of real storage: what localStorageClassCopies copies. */
const familyClasses: readonly LocalStorageClass[] = [
  {
    className: "amc-block",
    driverName: "amc-block.csi.test",
    standsFor: "network block storage (EBS, PD, Ceph RBD, NVMe-over-TCP)",
    attachRequired: true,
    volumeBindingMode: "Immediate",
    bindingModeReason:
      "topology is off: like Ceph RBD or an NVMe-over-TCP array, every node can reach the volume, so it can be created before a consumer exists (zonal cloud disks use WaitForFirstConsumer because they carry zone topology)",
    accessModes: singleNodeAndReadOnlyMany,
  },
  {
    className: "amc-local",
    driverName: "amc-local.csi.test",
    standsFor: "node-local storage (local-path, LVM)",
    attachRequired: false,
    topologyKey: "topology.amc-local.csi.test/node",
    volumeBindingMode: "WaitForFirstConsumer",
    bindingModeReason:
      "node-local volumes must be created on the node the first consumer is scheduled to, as local-path, TopoLVM and the local static provisioner all require",
    accessModes: singleNodeAndReadOnlyMany,
  },
  {
    className: "amc-shared",
    driverName: "amc-shared.csi.test",
    standsFor: "file storage without attach (NFS-like)",
    attachRequired: false,
    volumeBindingMode: "Immediate",
    bindingModeReason: "a file share is reachable from every node; NFS classes bind immediately",
    accessModes: csiAccessModes,
  },
];

/**
 * Zonal block storage: attachable like amc-block, but each volume lives in the
 * zone of its first consumer's node, so a pod in another zone is refused by
 * the scheduler (PV node affinity on the zone) and the volume cannot follow
 * its workload out of its zone.
 */
export const zonalStorageClass: LocalStorageClass = {
  className: "amc-zonal",
  driverName: "amc-zonal.csi.test",
  standsFor: "zonal cloud disks (EBS, GCE PD, Azure Disk)",
  attachRequired: true,
  topologyKey: "topology.amc-zonal.csi.test/zone",
  zonal: true,
  volumeBindingMode: "WaitForFirstConsumer",
  bindingModeReason:
    "a zonal disk must be created in the zone of the node its first consumer is scheduled to, which is why cloud disk classes use WaitForFirstConsumer",
  accessModes: singleNodeAndReadOnlyMany,
};

export const localStorageClasses: readonly LocalStorageClass[] = [...familyClasses, zonalStorageClass];

/** The most copies of the three families' classes a local cluster carries: 61 classes, 143 host processes. */
export const MAX_CLASS_COPIES = 20;

/**
 * The classes of a local cluster with `copies` copies of the three families'
 * classes: the four classes, then `amc-block-2`, `amc-local-2`,
 * `amc-shared-2`, ... (the zonal class is not copied). Each copy
 * is a class of its own, with its own CSI driver name (its own processes) and,
 * for node-local storage, its own topology key, as another driver of the same
 * family would have.
 */
export function localStorageClassCopies(copies: number): readonly LocalStorageClass[] {
  if (!Number.isInteger(copies) || copies < 1 || copies > MAX_CLASS_COPIES)
    throw new RangeError(`copies of the local storage classes: 1 to ${MAX_CLASS_COPIES}, not ${copies}`);
  const copy = (base: LocalStorageClass, n: number): LocalStorageClass => {
    const className = `${base.className}-${n}`;
    const driverName = `${className}.csi.test`;
    return {
      ...base,
      className,
      driverName,
      ...(base.topologyKey ? { topologyKey: `topology.${driverName}/node` } : {}),
    };
  };
  return [
    ...localStorageClasses,
    ...Array.from({ length: copies - 1 }, (_, i) => familyClasses.map((c) => copy(c, i + 2))).flat(),
  ];
}
