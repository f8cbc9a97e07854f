import type { V1Node } from "@kubernetes/client-node";
import { WaitTimeoutError } from "./wait.ts";

/** Whether the node's Ready condition is True. */
export function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/**
 * Why the scheduler would place none of the suite's pods on a node (which
 * tolerate nothing), or undefined when it would: not Ready, cordoned, or a
 * NoSchedule/NoExecute taint (new nodes carry node.kubernetes.io/not-ready for
 * a moment after they turn Ready).
 */
export function unschedulableReason(node: V1Node): string | undefined {
  if (!isReady(node)) return "not Ready";
  if (node.spec?.unschedulable) return "cordoned";
  const taints = (node.spec?.taints ?? []).filter(
    (t) => t.effect === "NoSchedule" || t.effect === "NoExecute",
  );
  if (taints.length > 0) {
    return `taints the suite does not tolerate: ${taints.map((t) => `${t.key}:${t.effect}`).join(", ")}`;
  }
  return undefined;
}

/** A node wait that timed out, told node by node: which were seen, and why each was not usable. */
export function explainNodeTimeout(error: unknown): unknown {
  if (!(error instanceof WaitTimeoutError)) return error;
  const nodes = error.lastSeen as V1Node[];
  const states = nodes.map((n) => `${n.metadata?.name}: ${unschedulableReason(n) ?? "Ready and untainted"}`);
  return new WaitTimeoutError(
    `${error.description} (nodes seen: ${states.length > 0 ? states.join("; ") : "none"})`,
    error.timeoutMs,
    error.lastSeen,
  );
}
