/** The resources the suite lists and watches, with the facts a raw watch path needs. */
export interface Resource {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const resources = {
  nodes: { apiVersion: "v1", kind: "Node", plural: "nodes", namespaced: false },
  namespaces: { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  pods: { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  events: { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true },
  persistentVolumeClaims: {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    plural: "persistentvolumeclaims",
    namespaced: true,
  },
  persistentVolumes: {
    apiVersion: "v1",
    kind: "PersistentVolume",
    plural: "persistentvolumes",
    namespaced: false,
  },
  volumeAttachments: {
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    plural: "volumeattachments",
    namespaced: false,
  },
  csiNodes: { apiVersion: "storage.k8s.io/v1", kind: "CSINode", plural: "csinodes", namespaced: false },
  serviceAccounts: { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  deployments: { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  priorityClasses: {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    plural: "priorityclasses",
    namespaced: false,
  },
} as const satisfies Record<string, Resource>;

/** "/api/v1/namespaces/x/pods", "/apis/storage.k8s.io/v1/volumeattachments". */
export function collectionPath(resource: Resource, namespace?: string): string {
  const base = resource.apiVersion.includes("/")
    ? `/apis/${resource.apiVersion}`
    : `/api/${resource.apiVersion}`;
  const scope = resource.namespaced && namespace ? `/namespaces/${namespace}` : "";
  return `${base}${scope}/${resource.plural}`;
}
