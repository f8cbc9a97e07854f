import type { V1Namespace, V1PriorityClass } from "@kubernetes/client-node";
import type { Kube } from "./kube/client.ts";
import { ignoreNotFound } from "./kube/errors.ts";
import { deleteNamespaceAndWait } from "./kube/namespaces.ts";
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNER_ANNOTATION,
  RUN_LABEL,
  STARTED_ANNOTATION,
} from "./labels.ts";
import { isRunning } from "./processes.ts";
import { parseOwner, type RunContext, thisHost } from "./run.ts";

/**
 * Removal of what runs create: only objects that carry the suite's label and
 * a run label, so nothing the suite did not create is ever touched.
 */

/** A run on another machine is taken for dead after this long. */
const foreignRunExpiryMs = 6 * 60 * 60_000;

const runObjectsSelector = (runId?: string) =>
  `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${RUN_LABEL}${runId ? `=${runId}` : ""}`;

async function runObjects(
  kube: Kube,
  runId?: string,
): Promise<{ namespaces: V1Namespace[]; priorityClasses: V1PriorityClass[] }> {
  const labelSelector = runObjectsSelector(runId);
  const [namespaces, priorityClasses] = await Promise.all([
    kube.core.listNamespace({ labelSelector }),
    kube.scheduling.listPriorityClass({ labelSelector }),
  ]);
  return { namespaces: namespaces.items, priorityClasses: priorityClasses.items };
}

async function remove(
  kube: Kube,
  namespaces: V1Namespace[],
  priorityClasses: V1PriorityClass[],
): Promise<string[]> {
  await Promise.all(namespaces.map((ns) => deleteNamespaceAndWait(kube, ns.metadata?.name ?? "")));
  for (const pc of priorityClasses) {
    await kube.scheduling.deletePriorityClass({ name: pc.metadata?.name ?? "" }).catch(ignoreNotFound);
  }
  return [
    ...namespaces.map((ns) => `namespace ${ns.metadata?.name}`),
    ...priorityClasses.map((pc) => `priorityclass ${pc.metadata?.name}`),
  ];
}

/** Whether the run that created an object is gone: its process is dead (same machine) or it is old (another machine). */
async function ownerGone(annotations: Record<string, string> | undefined, now: number): Promise<boolean> {
  const owner = parseOwner(annotations?.[OWNER_ANNOTATION]);
  const started = Date.parse(annotations?.[STARTED_ANNOTATION] ?? "");
  if (owner && owner.host === thisHost()) return !(await isRunning(owner));
  return Number.isFinite(started) ? now - started > foreignRunExpiryMs : false;
}

/** Removes the objects of earlier runs that ended without cleaning up; never the current run's or a live run's. */
export async function removeLeftovers(kube: Kube, current: RunContext): Promise<string[]> {
  const { namespaces, priorityClasses } = await runObjects(kube);
  const now = Date.now();
  const isLeftover = async (o: V1Namespace | V1PriorityClass) =>
    o.metadata?.labels?.[RUN_LABEL] !== current.runId && (await ownerGone(o.metadata?.annotations, now));
  const stale = async <T extends V1Namespace | V1PriorityClass>(objects: T[]) => {
    const flags = await Promise.all(objects.map(isLeftover));
    return objects.filter((_, i) => flags[i]);
  };
  return remove(kube, await stale(namespaces), await stale(priorityClasses));
}

/** Removes every object of one run (its end, or the guardian after an interrupted run). */
export async function removeRunObjects(kube: Kube, runId: string): Promise<string[]> {
  const { namespaces, priorityClasses } = await runObjects(kube, runId);
  return remove(kube, namespaces, priorityClasses);
}
