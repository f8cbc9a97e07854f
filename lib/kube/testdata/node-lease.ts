import type { KubernetesObject } from "@kubernetes/client-node";
import { type Resource, resources } from "../resources.ts";
import type { Source } from "../wait.ts";

/**
 * For the node-fault tests: whether a node heartbeats again. A stopped
 * kubelet, a paused node container and a node kwok no longer manages renew
 * no Lease (kube-node-lease/<node>); Ready alone proves nothing when a fault
 * was undone before the node went NotReady. The suite itself reads no Lease.
 */

const leases: Resource = {
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  plural: "leases",
  namespaced: true,
};

/** A node and its Lease, as the waiter's sources. */
export function nodeWithLease(node: string): { node: Source; lease: Source } {
  return {
    node: { resource: resources.nodes, fieldSelector: `metadata.name=${node}` },
    lease: { resource: leases, namespace: "kube-node-lease", fieldSelector: `metadata.name=${node}` },
  };
}

/** When a node's Lease was last renewed, in epoch ms; 0 when never. */
export function leaseRenewedMs(lease: KubernetesObject | undefined): number {
  const renewTime = (lease as { spec?: { renewTime?: string | Date } } | undefined)?.spec?.renewTime;
  return renewTime ? new Date(renewTime).getTime() : 0;
}
