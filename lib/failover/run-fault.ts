import type {
  CoreV1Event,
  KubernetesObject,
  V1Node,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import { apiErrorMessage, ignoreNotFound } from "../kube/errors.ts";
import { deleteNamespaceAndWait } from "../kube/namespaces.ts";
import { isReady } from "../kube/nodes.ts";
import { resources } from "../kube/resources.ts";
import { addTaint, OUT_OF_SERVICE_TAINT, removeTaint } from "../kube/taints.ts";
import { watchUntil } from "../kube/wait.ts";
import { RUN_LABEL } from "../labels.ts";
import { formatDuration, heartbeat, say } from "../progress.ts";
import { attachmentState, podState } from "../scenario/evidence.ts";
import type { ScenarioRecord } from "../scenario/types.ts";
import { type FaultInput, pathBudgetMs, UNMOUNT_WAIT_MS } from "./fault-input.ts";
import { failoverParameters } from "./parameters.ts";
import { failoverRecord } from "./record.ts";
import { FailoverTimeline } from "./timeline.ts";
import { firstWrite, lastDurable } from "./writer.ts";
import { hostnamesOf, newWriter, readLog, startWriter, type Writer, writesOn } from "./writers.ts";

/**
 * One node fault, shared by every case given (one writer per scenario and
 * class, all on the node that fails): start the writers, fail the node,
 * follow each writer's failover and act as the scenario's operator would
 * (force-delete the evicted pod; taint the node out of service once it is
 * NotReady), read what the replacements find on the volume, then restore the
 * node and wait until it is Ready and untainted and the old pods and
 * attachments are gone, whatever happened before. One record per case.
 */

/**
 * How long the old writer is watched after the last replacement wrote, in
 * the kubelet-stopped mode: an observation window for the fencing check
 * (does the old node keep writing?), not a wait for a condition.
 */
export const FENCING_WINDOW_MS = 10_000;

export interface FaultResult {
  records: ScenarioRecord[];
  /** What restoring the node or removing the writers could not do: the run must not pass. */
  cleanupError?: Error;
}

export async function runFault(input: FaultInput): Promise<FaultResult> {
  const { kube, cluster, run, faults, mode, nodes } = input;
  const scope = `failover ${mode}`;
  const writers = input.cases.map((c) => newWriter(c, run));
  const startedAt = new Date();
  const parameters = await failoverParameters(
    kube,
    input.settings.writerTolerationSeconds,
    cluster.controllerManagerFlags,
  );
  let injected = false;
  let outOfService = false;
  let failure: unknown;
  const cleanupErrors: string[] = [];
  try {
    say(
      scope,
      `starting ${writers.length} writer(s) on ${nodes.failed}: ${writers.map((w) => w.label).join(", ")}`,
    );
    const hostnames = hostnamesOf(input.labels);
    await Promise.all(
      writers.map((writer) =>
        startWriter({
          kube,
          writer,
          cluster,
          run,
          nodes,
          hostnames,
          tolerationSeconds: input.settings.writerTolerationSeconds,
          timeoutMs: input.timeouts.admitted,
          signal: input.signal,
        }).catch((error) => {
          writer.excluded = {
            verdict: "inconclusive",
            reason: `the writer did not start: ${apiErrorMessage(error)}`,
          };
        }),
      ),
    );
    const active = writers.filter((w) => !w.excluded);
    if (active.length > 0) {
      if (cluster.fidelity === "full") {
        await Promise.all(
          active.map(async (w) => {
            const oldPod = w.oldPod as string;
            w.durable = lastDurable(await readLog(kube, w, oldPod, 30_000), oldPod);
          }),
        );
      }
      say(scope, `failing ${nodes.failed}: ${faults.describe(mode)}`);
      injected = true;
      await faults.fail(nodes.failed, mode);
      const faultAt = Date.now();
      for (const w of active) {
        w.timeline = new FailoverTimeline(faultAt, {
          node: nodes.failed,
          oldPod: w.oldPod as string,
          ...(w.volume ? { volume: w.volume } : {}),
        });
        w.timeline.note("fault-injected", `${nodes.failed}: ${faults.describe(mode)}`, new Date(faultAt));
      }
      const stop = heartbeat(
        scope,
        (elapsed) =>
          `${elapsed} since ${nodes.failed} failed; ${active.filter((w) => w.recovered).length}/${active.length} writer(s) recovered`,
      );
      try {
        const followed = await followWriters(input, active, faultAt);
        outOfService = await followed.outOfService;
      } finally {
        stop();
      }
      if (cluster.fidelity === "full") await readWhatReplacementsWrote(input, active);
    }
  } catch (error) {
    failure = error;
  } finally {
    if (injected) {
      await restoreNode(input, outOfService).catch((error) => cleanupErrors.push(apiErrorMessage(error)));
    }
    // The writers' namespaces, pods, claims and volumes: gone before anything else runs.
    await Promise.all(
      writers
        .filter((w) => w.namespace)
        .map((w) =>
          deleteNamespaceAndWait(kube, w.namespace, input.timeouts.cleanup).catch((error) =>
            cleanupErrors.push(apiErrorMessage(error)),
          ),
        ),
    );
  }
  const records = writers.map((w) =>
    failoverRecord({ writer: w, input, parameters, failure, startedAt, finishedAt: new Date() }),
  );
  return {
    records,
    ...(cleanupErrors.length > 0 ? { cleanupError: new Error(cleanupErrors.join("; ")) } : {}),
  };
}

/**
 * When the writer's path gives up: the budget after the fault; on attachable
 * storage the force-delete path also gets the attach/detach controller's
 * unmount wait, counted from the force delete once there is one.
 */
function deadlineOf(input: FaultInput, w: Writer, faultAt: number): number {
  return (w.forceDeletedAtMs ?? faultAt) + pathBudgetMs(w.case, input.settings.budgetMs);
}

/**
 * Follows every writer of the fault at once, through one watch per source
 * (the failed node, the run's pods, the cluster's events and attachments,
 * each dispatched to its writer by namespace or volume), until each writer's
 * replacement writes on another node (Ready, with real kubelets) or runs
 * there (simulated nodes), or its path's deadline passes. Every object seen
 * feeds the timelines; the operator's actions are taken as the cluster
 * calls for them: the force delete once taint eviction marked the old pod
 * for deletion, the out-of-service taint once the node is NotReady.
 */
async function followWriters(
  input: FaultInput,
  writers: readonly Writer[],
  faultAt: number,
): Promise<{ outOfService: Promise<boolean> }> {
  const { kube, nodes, cluster } = input;
  const byNamespace = new Map<string | undefined, Writer>(writers.map((w) => [w.namespace, w]));
  const byVolume = new Map<string | undefined, Writer>(writers.map((w) => [w.volume, w]));
  const open = (w: Writer) => !w.recovered && Date.now() < deadlineOf(input, w, faultAt);
  const wantsTaint = writers.some((w) => w.case.scenario.failover?.path === "out-of-service");
  let outOfService: Promise<boolean> = Promise.resolve(false);
  let tainting = false;
  // Ends the wait when the last open writer's deadline passes (a deadline is no event: no decision runs then).
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    const last = Math.max(...writers.filter((w) => !w.recovered).map((w) => deadlineOf(input, w, faultAt)));
    timer = setTimeout(() => deadline.abort(new DeadlineReached()), Math.max(0, last - Date.now()));
  };
  arm();
  const signal = input.signal ? AbortSignal.any([input.signal, deadline.signal]) : deadline.signal;
  let lastPods: ReadonlyMap<string, KubernetesObject> = new Map();
  try {
    await watchUntil(
      kube,
      {
        node: { resource: resources.nodes, fieldSelector: `metadata.name=${nodes.failed}` },
        pods: { resource: resources.pods, labelSelector: `${RUN_LABEL}=${input.run.runId}` },
        events: { resource: resources.events },
        attachments: { resource: resources.volumeAttachments },
      },
      {
        description: `the writers on ${nodes.failed} to fail over`,
        timeoutMs: 4 * UNMOUNT_WAIT_MS + input.settings.budgetMs,
        signal,
        observe: (source, type, object, receivedAt) => {
          if (source === "node") {
            for (const w of writers) w.timeline?.observe(source, type, object, receivedAt);
            return;
          }
          const w =
            source === "attachments"
              ? byVolume.get((object as V1VolumeAttachment).spec?.source?.persistentVolumeName)
              : byNamespace.get(
                  source === "events"
                    ? (object as CoreV1Event).involvedObject?.namespace
                    : object.metadata?.namespace,
                );
          if (!w) return;
          w.timeline?.observe(source, type, object, receivedAt);
          if (source === "events") w.events.add(object as CoreV1Event, receivedAt, receivedAt.getTime());
        },
      },
      (snapshot) => {
        lastPods = snapshot.pods;
        const node = snapshot.node.get(`/${nodes.failed}`) as V1Node | undefined;
        if (wantsTaint && !tainting && node && !isReady(node)) {
          tainting = true;
          outOfService = taintOutOfService(input, writers);
        }
        for (const w of writers) {
          if (!open(w)) continue;
          const timeline = w.timeline as FailoverTimeline;
          const old = snapshot.pods.get(`${w.namespace}/${w.oldPod}`) as V1Pod | undefined;
          if (
            w.case.scenario.failover?.path === "force-delete" &&
            w.forceDeletedAtMs === undefined &&
            old?.metadata?.deletionTimestamp
          ) {
            w.forceDeletedAtMs = Date.now();
            arm();
            // Not awaited inside the decision; a failure is said, and the path then runs out its budget.
            forceDelete(input, w).catch((error) =>
              say("failover", `${w.label}: force-deleting ${w.oldPod} failed: ${apiErrorMessage(error)}`),
            );
          }
          const replacement = timeline.replacement
            ? (snapshot.pods.get(`${w.namespace}/${timeline.replacement}`) as V1Pod | undefined)
            : undefined;
          const on = replacement?.spec?.nodeName;
          if (
            replacement &&
            on &&
            on !== nodes.failed &&
            writesOn(replacement, on, snapshot.attachments, w, cluster)
          ) {
            w.recovered = true;
            w.recoveredAtMs = Date.now();
            say(
              "failover",
              `${w.label}: writing on ${on} ${formatDuration(w.recoveredAtMs - faultAt)} after the fault`,
            );
            arm();
          }
        }
        return writers.some(open) ? undefined : true;
      },
    );
  } catch (error) {
    if (!(deadline.signal.aborted && !input.signal?.aborted)) throw error;
  } finally {
    clearTimeout(timer);
  }
  const at = new Date();
  for (const w of writers) {
    if (!w.recovered) {
      say(
        "failover",
        `${w.label}: not running elsewhere by its deadline (${formatDuration(deadlineOf(input, w, faultAt) - faultAt)} after the fault)`,
      );
    }
    for (const pod of lastPods.values()) {
      if (pod.metadata?.namespace === w.namespace) w.objects.push(podState(pod as V1Pod, at));
    }
  }
  const attachments = await kube.storage.listVolumeAttachment().catch(() => undefined);
  for (const a of attachments?.items ?? []) {
    const w = byVolume.get(a.spec?.source?.persistentVolumeName);
    w?.objects.push(attachmentState(a, at));
  }
  return { outOfService };
}

class DeadlineReached extends Error {}

/** What an operator does on the force-delete path: delete the evicted pod with grace period 0. */
async function forceDelete(input: FaultInput, w: Writer): Promise<void> {
  const at = new Date();
  await input.kube.core
    .deleteNamespacedPod({ name: w.oldPod as string, namespace: w.namespace, gracePeriodSeconds: 0 })
    .catch(ignoreNotFound);
  w.timeline?.note(
    "old-pod-force-deleted",
    `the suite force-deleted ${w.oldPod} (grace period 0), as an operator would`,
    at,
  );
}

/** What an operator does on the non-graceful shutdown path, once the node is NotReady: taint it out of service. */
async function taintOutOfService(input: FaultInput, writers: readonly Writer[]): Promise<boolean> {
  const { kube, nodes } = input;
  const at = new Date();
  const taint = `${OUT_OF_SERVICE_TAINT.key}=${OUT_OF_SERVICE_TAINT.value}:${OUT_OF_SERVICE_TAINT.effect}`;
  try {
    await addTaint(kube, nodes.failed, OUT_OF_SERVICE_TAINT);
  } catch (error) {
    say("failover", `tainting ${nodes.failed} ${taint} failed: ${apiErrorMessage(error)}`);
    return false;
  }
  say("failover", `${nodes.failed} is NotReady: tainted ${taint}`);
  for (const w of writers) {
    if (w.case.scenario.failover?.path === "out-of-service") {
      w.timeline?.note(
        "out-of-service-tainted",
        `the suite tainted ${nodes.failed} ${taint}, as an operator would once the node is off`,
        at,
      );
    }
  }
  return true;
}

/**
 * Reads the log through each replacement: the data check, the replacement's
 * first write, and (kubelet-stopped) whether the old pod wrote after it. The
 * old writer gets FENCING_WINDOW_MS after the last replacement's first write.
 */
async function readWhatReplacementsWrote(input: FaultInput, writers: readonly Writer[]): Promise<void> {
  const recovered = writers.filter((w) => w.recovered && w.timeline?.replacement);
  if (recovered.length === 0) return;
  if (input.mode === "kubelet-stopped") {
    const last = Math.max(...recovered.map((w) => w.recoveredAtMs ?? 0));
    const rest = last + FENCING_WINDOW_MS - Date.now();
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  await Promise.all(
    recovered.map(async (w) => {
      const timeline = w.timeline as FailoverTimeline;
      const replacement = timeline.replacement as string;
      w.lines = await readLog(input.kube, w, replacement, 30_000).catch((error) => {
        say(
          "failover",
          `${w.label}: reading the log through ${replacement} failed: ${apiErrorMessage(error)}`,
        );
        return undefined;
      });
      if (!w.lines) return;
      const first = firstWrite(w.lines, replacement);
      if (first) {
        timeline.note(
          "replacement-first-write",
          `first line of ${replacement} on the volume: "${first.text}"`,
          new Date(first.time * 1000),
          "volume",
        );
      }
    }),
  );
}

/**
 * Brings the node back and waits until it is Ready with none of the failure's
 * taints. (The writers' namespaces go next: their old pods, claims and
 * volumes, and so their attachments, are waited for until gone.)
 */
async function restoreNode(input: FaultInput, outOfService: boolean): Promise<void> {
  const { kube, nodes, faults, mode } = input;
  say("failover", `restoring ${nodes.failed} (${mode})`);
  await faults.restore(nodes.failed, mode);
  // Removed even when this run did not see it applied: the taint is the run's (the node was healthy before).
  const removed = await removeTaint(kube, nodes.failed, OUT_OF_SERVICE_TAINT.key);
  if (outOfService && !removed)
    say("failover", `the out-of-service taint was already gone from ${nodes.failed}`);
  const failureTaints = new Set([
    "node.kubernetes.io/unreachable",
    "node.kubernetes.io/not-ready",
    OUT_OF_SERVICE_TAINT.key,
  ]);
  await watchUntil(
    kube,
    { node: { resource: resources.nodes, fieldSelector: `metadata.name=${nodes.failed}` } },
    { description: `${nodes.failed} to be Ready and untainted again`, timeoutMs: 5 * 60_000 },
    (snapshot) => {
      const node = snapshot.node.get(`/${nodes.failed}`) as V1Node | undefined;
      const tainted = node?.spec?.taints?.some((t) => failureTaints.has(t.key));
      return node && isReady(node) && !tainted ? true : undefined;
    },
  );
  say("failover", `${nodes.failed} is Ready and untainted again`);
}
