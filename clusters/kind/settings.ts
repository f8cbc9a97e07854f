/**
 * The images a kind run uses, each a setting (lib/settings.ts) with a pinned default: unset,
 * it is built on this machine by `npm run kind:images` (the air-gapped path,
 * cached by content); set, it is used as given (a mirror, a locally built
 * image, or upstream's kindest/node for the node).
 *
 *   AMC_KIND_NODE_IMAGE              the kind node image
 *   AMC_KIND_CSI_DRIVER_IMAGE        the suite's CSI driver (controller and node plugin)
 *   AMC_KIND_CSI_PROVISIONER_IMAGE   kubernetes-csi external-provisioner
 *   AMC_KIND_CSI_ATTACHER_IMAGE      kubernetes-csi external-attacher
 *   AMC_IMAGE                        the pods' workload image (needs sh and sleep)
 */
export interface KindImageSettings {
  node?: string;
  workload?: string;
  csiDriver?: string;
  csiProvisioner?: string;
  csiAttacher?: string;
}
