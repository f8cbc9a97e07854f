import type { V1Node } from "@kubernetes/client-node";
import type { Kube } from "../lib/kube/client.ts";
import { explainNodeTimeout, unschedulableReason } from "../lib/kube/nodes.ts";
import { resources } from "../lib/kube/resources.ts";
import { waitFor } from "../lib/kube/wait.ts";

// Here, not in lib/: only the providers of the suite's own clusters watch nodes; a run lists them.

/**
 * Waits until `count` of the nodes `among` selects are schedulable, and
 * returns them; a timeout says, node by node, what was seen.
 */
export async function waitForSchedulableNodes(
  kube: Kube,
  options: { description: string; timeoutMs: number; among: (node: V1Node) => boolean; count: number },
): Promise<V1Node[]> {
  return waitFor<V1Node, V1Node[]>(
    kube,
    resources.nodes,
    { description: options.description, timeoutMs: options.timeoutMs },
    (nodes) => {
      const usable = [...nodes.values()].filter((node) => options.among(node) && !unschedulableReason(node));
      return usable.length >= options.count ? usable : undefined;
    },
  ).catch((error) => {
    throw explainNodeTimeout(error);
  });
}
