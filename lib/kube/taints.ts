import type { V1Node, V1Taint } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";

/**
 * Adding and removing one taint on a node. The node-lifecycle controller
 * rewrites the same list (unreachable, not-ready) while a node fails, so each
 * change is a read, an edit and a replace that carries the read's
 * resourceVersion, tried again when the node changed in between (409).
 */

const statusOf = (error: unknown) => (error as { code?: number }).code;

/** The non-graceful node shutdown taint: the operator's word that the node is off (GA in 1.28). */
export const OUT_OF_SERVICE_TAINT: V1Taint = {
  key: "node.kubernetes.io/out-of-service",
  value: "nodeshutdown",
  effect: "NoExecute",
};

/**
 * The zone failover's taint (rwo-zone-failover): it keeps the suite's pods
 * off a zone's nodes. Its value is the run's id, so that the run's clean-up,
 * or a later one, removes exactly the taints that run put.
 */
export const ZONE_DOWN_TAINT_KEY = "access-mode-conformance/zone-down";

export function zoneDownTaint(runId: string): V1Taint {
  return { key: ZONE_DOWN_TAINT_KEY, value: runId, effect: "NoSchedule" };
}

/** Whose zone-down taint the node carries (the run's id), if any. */
export function zoneDownRun(node: V1Node): string | undefined {
  const taint = node.spec?.taints?.find((t) => t.key === ZONE_DOWN_TAINT_KEY);
  return taint ? (taint.value ?? "") : undefined;
}

/** Removes the run's zone-down taint from every node that has it; the nodes it was removed from. */
export function removeRunTaints(kube: Kube, runId: string): Promise<string[]> {
  return removeZoneDownTaints(kube, (value) => value === runId);
}

/** Removes the zone-down taints whose run `ofRun` names (by the taint's value); the nodes they were removed from. */
export async function removeZoneDownTaints(kube: Kube, ofRun: (runId: string) => boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const node of (await kube.core.listNode()).items) {
    const runId = zoneDownRun(node);
    if (runId === undefined || !ofRun(runId)) continue;
    const name = node.metadata?.name ?? "";
    if (await removeTaint(kube, name, ZONE_DOWN_TAINT_KEY, runId)) removed.push(name);
  }
  return removed;
}

async function editTaints(
  kube: Kube,
  node: string,
  edit: (taints: V1Taint[]) => V1Taint[] | undefined,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const current: V1Node = await kube.core.readNode({ name: node });
    const taints = current.spec?.taints ?? [];
    const edited = edit(taints);
    if (!edited) return false;
    current.spec = { ...current.spec, taints: edited };
    try {
      await kube.core.replaceNode({ name: node, body: current });
      return true;
    } catch (error) {
      if (statusOf(error) !== 409 || attempt >= 10) throw error;
    }
  }
}

/** Adds the taint unless the node has one with its key and effect; whether it was added. */
export function addTaint(kube: Kube, node: string, taint: V1Taint): Promise<boolean> {
  return editTaints(kube, node, (taints) =>
    taints.some((t) => t.key === taint.key && t.effect === taint.effect) ? undefined : [...taints, taint],
  );
}

/**
 * Removes every taint with the key (and the value, when given: another run's
 * taint of the same key is not this one's to remove); whether there was one.
 * A node that is gone has none.
 */
export async function removeTaint(kube: Kube, node: string, key: string, value?: string): Promise<boolean> {
  const matches = (t: V1Taint) => t.key === key && (value === undefined || t.value === value);
  try {
    return await editTaints(kube, node, (taints) =>
      taints.some(matches) ? taints.filter((t) => !matches(t)) : undefined,
    );
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}
