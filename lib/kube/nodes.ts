import type { V1Node } from "@kubernetes/client-node";

/**
 * Why the scheduler would place none of the suite's pods on a node (which
 * tolerate nothing), or undefined when it would: not Ready, cordoned, or a
 * NoSchedule/NoExecute taint (new nodes carry node.kubernetes.io/not-ready for
 * a moment after they turn Ready).
 */
export function unschedulableReason(node: V1Node): string | undefined {
  const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  if (!ready) return "not Ready";
  if (node.spec?.unschedulable) return "cordoned";
  const taints = (node.spec?.taints ?? []).filter(
    (t) => t.effect === "NoSchedule" || t.effect === "NoExecute",
  );
  if (taints.length > 0) {
    return `taints the suite does not tolerate: ${taints.map((t) => `${t.key}:${t.effect}`).join(", ")}`;
  }
  return undefined;
}
