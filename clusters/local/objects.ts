import type { V1CSIDriver, V1CSINode, V1Node, V1StorageClass } from "@kubernetes/client-node";
import type { ClusterNode } from "../../lib/cluster/contract.ts";
import { suiteLabels, ZONE_LABEL } from "../../lib/labels.ts";
import type { LocalStorageClass } from "./storage.ts";

/**
 * The API objects that make kwok's simulated nodes look, to the control plane,
 * like nodes with CSI drivers installed. On real nodes the kubelet and
 * node-driver-registrar create these; here the provider does.
 */

/** Without this annotation the attach/detach controller ignores the node (no VolumeAttachments, no Multi-Attach). */
export const ATTACH_DETACH_ANNOTATION = "volumes.kubernetes.io/controller-managed-attach-detach";

export function renderNode(node: Required<ClusterNode>, classes: readonly LocalStorageClass[]): V1Node {
  const topologyLabels = Object.fromEntries(
    classes.flatMap((c) => (c.topologyKey ? [[c.topologyKey, c.zonal ? node.zone : node.name]] : [])),
  );
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      labels: {
        ...suiteLabels,
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        [ZONE_LABEL]: node.zone,
        type: "kwok",
        ...topologyLabels,
      },
      annotations: {
        [ATTACH_DETACH_ANNOTATION]: "true",
        "kwok.x-k8s.io/node": "fake",
      },
    },
    spec: {},
  };
}

/** One CSINode per node, listing every driver, with the node's name as the driver's node ID. */
export function renderCSINode(node: Required<ClusterNode>, classes: readonly LocalStorageClass[]): V1CSINode {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name: node.name, labels: { ...suiteLabels } },
    spec: {
      drivers: classes.map((c) => ({
        name: c.driverName,
        nodeID: node.name,
        topologyKeys: c.topologyKey ? [c.topologyKey] : [],
      })),
    },
  };
}

export function renderCSIDriver(storageClass: LocalStorageClass): V1CSIDriver {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: storageClass.driverName, labels: { ...suiteLabels } },
    spec: {
      attachRequired: storageClass.attachRequired,
      podInfoOnMount: false,
      volumeLifecycleModes: ["Persistent"],
      fsGroupPolicy: "File",
    },
  };
}

export function renderStorageClass(storageClass: LocalStorageClass): V1StorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: storageClass.className,
      labels: { ...suiteLabels },
      annotations: { "access-mode-conformance/stands-for": storageClass.standsFor },
    },
    provisioner: storageClass.driverName,
    reclaimPolicy: "Delete",
    volumeBindingMode: storageClass.volumeBindingMode,
    allowVolumeExpansion: false,
  };
}
