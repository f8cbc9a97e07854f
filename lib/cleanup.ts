import { setTimeout as sleep } from "node:timers/promises";
import type { V1Namespace, V1PriorityClass, V1StorageClass } from "@kubernetes/client-node";
import { InfrastructureError } from "./errors.ts";
import type { Kube } from "./kube/client.ts";
import { ApiUnavailableError, apiErrorMessage, ignoreNotFound } from "./kube/errors.ts";
import { deleteNamespaceAndWait } from "./kube/namespaces.ts";
import { isTransient } from "./kube/retry.ts";
import { removeRunTaints, removeZoneDownTaints, ZONE_DOWN_TAINT_KEY } from "./kube/taints.ts";
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNER_ANNOTATION,
  OWNER_POD_ANNOTATION,
  RUN_LABEL,
  STARTED_ANNOTATION,
} from "./labels.ts";
import { isRunning } from "./processes.ts";
import { formatDuration, heartbeat, say } from "./progress.ts";
import { parseOwner, parseOwnerPod, type RunContext, thisHost } from "./run.ts";
import type { PodIdentity } from "./settings.ts";

/**
 * Removal of what runs create: only objects that carry the suite's label and
 * a run label, so nothing the suite did not create is ever touched.
 *
 * A cleanup rides out an API server that goes away for a while (a restart,
 * a network that comes back) longer than one API call does
 * (lib/kube/retry.ts): after its first failure it tries again, from a fresh
 * list, for CLEANUP_PATIENCE_MS, saying every 15 s that it still tries.
 * Then, or at once on an answer that will not change (403), it throws
 * a CleanupError that names what is left and the command that removes it.
 */

/** How long a cleanup goes on trying after its first failure. */
export const CLEANUP_PATIENCE_MS = 2 * 60_000;

/** How often a cleanup that keeps failing says so. */
const progressEveryMs = 15_000;

/** A run on another machine is taken for dead after this long. */
const foreignRunExpiryMs = 6 * 60 * 60_000;

export interface CleanupOptions {
  /** How long to go on trying after the first failure (default CLEANUP_PATIENCE_MS); 0 tries once. */
  patienceMs?: number;
  /**
   * The command that removes what is left, for the error's message
   * (`amc cleanup --run ID` with the run's cluster flags); a generic one by default.
   */
  command?: string;
}

/** What a cleanup left on the cluster, and how to remove it: exit code 3 (AMC_TEARDOWN). */
export class CleanupError extends InfrastructureError {
  override name = "CleanupError";
  /** What is known to be left ("namespace x", "priorityclass y"); undefined when the cluster could not be listed. */
  readonly left: string[] | undefined;
  /** What was removed before it gave up. */
  readonly removed: string[];
  constructor(message: string, left: string[] | undefined, removed: string[], cause: unknown) {
    super(message, "AMC_TEARDOWN", { cause });
    this.left = left;
    this.removed = removed;
  }
}

const runObjectsSelector = (runId?: string) =>
  `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${RUN_LABEL}${runId ? `=${runId}` : ""}`;

type RunObject = V1Namespace | V1PriorityClass | V1StorageClass;

/**
 * What runs create outside their namespaces carries their labels too: the
 * preemption scenarios' PriorityClasses, and the StorageClasses `amc certify`
 * creates for an upstream test-driver file (StorageClass.FromFile, FromName).
 */
interface RunObjects {
  namespaces: V1Namespace[];
  priorityClasses: V1PriorityClass[];
  storageClasses: V1StorageClass[];
}

async function runObjects(kube: Kube, runId?: string): Promise<RunObjects> {
  const labelSelector = runObjectsSelector(runId);
  const [namespaces, priorityClasses, storageClasses] = await Promise.all([
    kube.core.listNamespace({ labelSelector }),
    kube.scheduling.listPriorityClass({ labelSelector }),
    kube.storage.listStorageClass({ labelSelector }),
  ]);
  return {
    namespaces: namespaces.items,
    priorityClasses: priorityClasses.items,
    storageClasses: storageClasses.items,
  };
}

const namespaceName = (ns: V1Namespace) => `namespace ${ns.metadata?.name}`;
const priorityClassName = (pc: V1PriorityClass) => `priorityclass ${pc.metadata?.name}`;
const storageClassName = (sc: V1StorageClass) => `storageclass ${sc.metadata?.name}`;

function namesOf(objects: RunObjects): string[] {
  return [
    ...objects.namespaces.map(namespaceName),
    ...objects.priorityClasses.map(priorityClassName),
    ...objects.storageClasses.map(storageClassName),
  ];
}

/**
 * Removes the objects, every one of them even when some fail, adding each
 * one gone to `removed`; throws the first failure.
 */
async function remove(kube: Kube, objects: RunObjects, removed: Set<string>): Promise<void> {
  const { namespaces, priorityClasses, storageClasses } = objects;
  const results = await Promise.allSettled([
    ...namespaces.map(async (ns) => {
      await deleteNamespaceAndWait(kube, ns.metadata?.name ?? "");
      removed.add(namespaceName(ns));
    }),
    ...priorityClasses.map(async (pc) => {
      await kube.scheduling.deletePriorityClass({ name: pc.metadata?.name ?? "" }).catch(ignoreNotFound);
      removed.add(priorityClassName(pc));
    }),
  ]);
  // After the namespaces: their claims' volumes are deleted while their class is still there.
  results.push(
    ...(await Promise.allSettled(
      storageClasses.map(async (sc) => {
        await kube.storage.deleteStorageClass({ name: sc.metadata?.name ?? "" }).catch(ignoreNotFound);
        removed.add(storageClassName(sc));
      }),
    )),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * Whether trying again may help: anything but an answer that will not
 * change (403, 422, ...). A call that gave up on an API server that did not
 * answer is tried again: the cleanup's patience is longer than a call's.
 */
function worthRetrying(error: unknown): boolean {
  // An API server that did not answer (a call gives up after its own 60 s) may answer the next try; a
  // refusal (4xx) or a wait that timed out (a namespace kept by a finalizer) will not: no second 3 minutes.
  return isTransient(error) || error instanceof ApiUnavailableError;
}

/** One line for a failure: the API's answer, or the error with the code of its cause ("fetch failed (ECONNREFUSED)"). */
export function failureText(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const text = apiErrorMessage(error);
  return typeof code === "string" && !text.includes(code) ? `${text} (${code})` : text;
}

/**
 * Runs `attempt` until it succeeds; after a transient failure, again, for up
 * to `patienceMs` after the first one, with a progress line every 15 s.
 * Then throws a CleanupError naming what `left` says is left and `command`.
 */
async function persist(
  what: string,
  options: CleanupOptions,
  fallbackCommand: string,
  attempt: () => Promise<void>,
  state: { left: () => string[] | undefined; removed: () => string[] },
): Promise<void> {
  const patienceMs = options.patienceMs ?? CLEANUP_PATIENCE_MS;
  let failingSince: number | undefined;
  let last: unknown;
  let stopProgress: (() => void) | undefined;
  try {
    for (let tries = 1; ; tries++) {
      try {
        await attempt();
        if (failingSince !== undefined) {
          say("cleanup", `${what}: done after ${formatDuration(Date.now() - failingSince)} of failures`);
        }
        return;
      } catch (error) {
        last = error;
        failingSince ??= Date.now();
        const elapsed = Date.now() - failingSince;
        if (!worthRetrying(error) || elapsed >= patienceMs) break;
        if (!stopProgress) {
          say(
            "cleanup",
            `${what} failed: ${failureText(error)}; trying again for up to ${formatDuration(patienceMs)}`,
          );
          stopProgress = heartbeat(
            "cleanup",
            (since) =>
              `${what}: still failing (${failureText(last)}) after ${since}; giving up after ${formatDuration(patienceMs)}`,
            progressEveryMs,
          );
        }
        await sleep(Math.min(1_000 * 2 ** Math.min(tries - 1, 3), 5_000, patienceMs - elapsed));
      }
    }
  } finally {
    stopProgress?.();
  }
  const left = state.left();
  const tried =
    failingSince !== undefined && Date.now() - failingSince >= 1_000
      ? ` after trying for ${formatDuration(Date.now() - failingSince)}`
      : "";
  const leftText =
    left === undefined
      ? "whatever it created (the cluster could not be listed)"
      : left.length > 0
        ? left.join(", ")
        : "nothing listed, but the removal did not finish";
  throw new CleanupError(
    `${what} failed${tried}: ${failureText(last)}. Left on the cluster: ${leftText}. Once the cluster answers, remove it with: ${options.command ?? fallbackCommand}`,
    left,
    state.removed(),
    last,
  );
}

/**
 * Whether the run that created an object is gone: its process is dead (same
 * machine), its pod is (a run inside the cluster: the pod deleted, replaced
 * or ended, as the API says), or it is old (another machine).
 */
async function ownerGone(
  kube: Kube,
  annotations: Record<string, string> | undefined,
  now: number,
): Promise<boolean> {
  const owner = parseOwner(annotations?.[OWNER_ANNOTATION]);
  const started = Date.parse(annotations?.[STARTED_ANNOTATION] ?? "");
  if (owner && owner.host === thisHost()) return !(await isRunning(owner));
  const pod = parseOwnerPod(annotations?.[OWNER_POD_ANNOTATION]);
  if (pod) {
    const gone = await podGone(kube, pod);
    if (gone !== undefined) return gone;
  }
  return Number.isFinite(started) ? now - started > foreignRunExpiryMs : false;
}

/** Whether a run's pod is gone; undefined when the API does not say (no permission to read pods). */
async function podGone(kube: Kube, pod: PodIdentity): Promise<boolean | undefined> {
  try {
    const found = await kube.core.readNamespacedPod({ namespace: pod.namespace, name: pod.name });
    const phase = found.status?.phase;
    return found.metadata?.uid !== pod.uid || phase === "Succeeded" || phase === "Failed";
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404) return true;
    if (code === 403) return undefined;
    throw error;
  }
}

export interface SweepResult {
  /** The objects of runs that are gone, removed. */
  removed: string[];
  /** The objects of runs that are alive (or ran on another machine less than six hours ago), left alone. */
  kept: string[];
}

/**
 * Removes the objects of every run that ended without cleaning up (its
 * process is gone, or it ran on another machine more than six hours ago);
 * never a live run's, nor `exceptRunId`'s. `amc cleanup` and a run's start.
 */
export async function removeAbandoned(
  kube: Kube,
  options: CleanupOptions & { exceptRunId?: string } = {},
): Promise<SweepResult> {
  const removed = new Set<string>();
  let stale: string[] | undefined;
  let kept: string[] = [];
  await persist(
    "removing what earlier runs left",
    options,
    "amc cleanup",
    async () => {
      const { namespaces, priorityClasses, storageClasses } = await runObjects(kube);
      const now = Date.now();
      const isLeftover = async (o: RunObject) =>
        o.metadata?.labels?.[RUN_LABEL] !== options.exceptRunId &&
        (await ownerGone(kube, o.metadata?.annotations, now));
      const split = async <T extends RunObject>(objects: T[]) => {
        const flags = await Promise.all(objects.map(isLeftover));
        return {
          gone: objects.filter((_, i) => flags[i]),
          alive: objects.filter(
            (o, i) => !flags[i] && o.metadata?.labels?.[RUN_LABEL] !== options.exceptRunId,
          ),
        };
      };
      const ns = await split(namespaces);
      const pcs = await split(priorityClasses);
      const scs = await split(storageClasses);
      const gone = { namespaces: ns.gone, priorityClasses: pcs.gone, storageClasses: scs.gone };
      stale = namesOf(gone);
      kept = namesOf({ namespaces: ns.alive, priorityClasses: pcs.alive, storageClasses: scs.alive });
      // A zone a dead run took down (rwo-zone-failover): a live run's taint is on while its case's namespace is.
      const live = new Set([options.exceptRunId, ...ns.alive.map((n) => n.metadata?.labels?.[RUN_LABEL])]);
      for (const node of await removeZoneDownTaints(kube, (runId) => !live.has(runId))) {
        removed.add(`taint ${ZONE_DOWN_TAINT_KEY} on node ${node}`);
      }
      await remove(kube, gone, removed);
    },
    { left: () => stale?.filter((name) => !removed.has(name)), removed: () => [...removed] },
  );
  return { removed: [...removed], kept };
}

/** Removes the objects of earlier runs that ended without cleaning up; never the current run's or a live run's. */
export async function removeLeftovers(
  kube: Kube,
  current: Pick<RunContext, "runId">,
  options: CleanupOptions = {},
): Promise<string[]> {
  return (await removeAbandoned(kube, { ...options, exceptRunId: current.runId })).removed;
}

/**
 * Removes every object of one run (its end, the guardian after an
 * interrupted run, `amc cleanup --run ID`); returns what it removed.
 */
export async function removeRunObjects(
  kube: Kube,
  runId: string,
  options: CleanupOptions = {},
): Promise<string[]> {
  const removed = new Set<string>();
  let listed: string[] | undefined;
  await persist(
    `removing the objects of run ${runId}`,
    options,
    `amc cleanup --run ${runId} (with the run's cluster flags)`,
    async () => {
      // A zone the run took down (rwo-zone-failover) comes back first: other workloads may wait for it.
      for (const node of await removeRunTaints(kube, runId))
        removed.add(`taint ${ZONE_DOWN_TAINT_KEY} on node ${node}`);
      const objects = await runObjects(kube, runId);
      listed = namesOf(objects);
      await remove(kube, objects, removed);
    },
    { left: () => listed?.filter((name) => !removed.has(name)), removed: () => [...removed] },
  );
  return [...removed];
}
