import type { V1Node } from "@kubernetes/client-node";
import type { Fidelity } from "../../lib/cluster/contract.ts";

/**
 * An existing cluster has real kubelets, unless its nodes are kwok's
 * simulations (the embedded local cluster reached through its kubeconfig,
 * or a kwok cluster of someone's): there a pod is marked Running whatever
 * its volumes, and a kubelet-level check would report what kwok made up.
 */

/** Set on the nodes kwok simulates (kwok's and the local cluster's convention). */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

/** kwok reports itself as the node's kubelet ("kwok-0.8.0"), annotated or not. */
export function isSimulated(node: V1Node): boolean {
  const kubelet = node.status?.nodeInfo?.kubeletVersion ?? "";
  return node.metadata?.annotations?.[KWOK_NODE_ANNOTATION] !== undefined || kubelet.startsWith("kwok");
}

export function fidelityOf(nodes: readonly V1Node[]): { fidelity: Fidelity; reason: string } {
  const simulated = nodes.filter(isSimulated).map((n) => n.metadata?.name ?? "");
  if (simulated.length === 0) return { fidelity: "full", reason: "the nodes run real kubelets" };
  return {
    fidelity: "control-plane",
    reason: `${simulated.length} of ${nodes.length} node(s) are simulated by kwok (${simulated.join(", ")}): kubelet-level checks would judge what kwok made up`,
  };
}
