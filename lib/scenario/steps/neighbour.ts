import { setTimeout as delay } from "node:timers/promises";
import { hostnameOf, renderClaim, renderPod, toYaml } from "../../manifests.ts";
import { nodeFor } from "../record.ts";
import { containersRunning } from "./admitted.ts";
import type { StepCode } from "./context.ts";
import { createPodObject, priorityClass } from "./pod.ts";

/** The other namespace's holder. */
export const NEIGHBOUR_POD = "neighbour-pod";

/**
 * In the scenario's second namespace: a claim with the same name as the
 * scenario's (another tenant who chose the same name), and its holder at low
 * priority on the first node, waited for until it runs. Both holders then sit
 * on one node with same-named ReadWriteOncePod claims.
 *
 * The neighbour starts in a later second than pod A, as another tenant's pod
 * usually does: preemption keeps, of two victims of one priority, the one
 * that started first (MoreImportantPod, by status.startTime, whole seconds),
 * and a tie leaves their order to the sort. The one wait that is not on a
 * watch is there for that: until the clock is past pod A's start second.
 */
export const neighbour: StepCode<"neighbour"> = async (context) => {
  const { kube, names, state, scenario, storage, neighbour: other } = context;
  if (!other) throw new Error("neighbour: the runner made no second namespace");
  const node = nodeFor(state.nodes, "first");
  const claim = renderClaim({
    name: names.claim,
    namespace: other.namespace,
    labels: context.labels,
    accessMode: scenario.accessMode,
    storageClassName: storage.className,
  });
  state.manifests[`${other.namespace}/${names.claim}`] = toYaml(claim);
  await kube.core.createNamespacedPersistentVolumeClaim({ namespace: other.namespace, body: claim });
  const pod = renderPod({
    name: NEIGHBOUR_POD,
    namespace: other.namespace,
    labels: context.labels,
    claimName: names.claim,
    image: context.run.image,
    node,
    ...hostnameOf(node, context.pool.labels),
    priorityClassName: await priorityClass(context, "low"),
  });
  state.manifests[`${other.namespace}/${NEIGHBOUR_POD}`] = toYaml(pod);
  await other.serviceAccount;
  const holderStart = await context.waitUntil(`${names.a}'s start time`, context.timeouts.admitted, (o) => {
    const started = o.pods.get(names.a)?.status?.startTime;
    return started ? Date.parse(String(started)) : undefined;
  });
  const untilNextSecond = holderStart + 1000 - Date.now();
  if (untilNextSecond > 0) await delay(untilNextSecond + 50);
  await createPodObject(kube, other.namespace, pod);
  const neighbourStart = await context.waitUntil(
    `${other.namespace}/${NEIGHBOUR_POD} to run`,
    context.timeouts.admitted,
    (o) => {
      const running = o.neighbour?.pods.get(NEIGHBOUR_POD);
      if (running?.spec?.nodeName !== node || running.status?.phase !== "Running") return undefined;
      if (o.fidelity === "full" && !containersRunning(running)) return undefined;
      return running.status?.startTime ? Date.parse(String(running.status.startTime)) : undefined;
    },
  );
  // The premise, checked on the cluster's own clock: without it the victims' order is a tie.
  if (Math.floor(neighbourStart / 1000) <= Math.floor(holderStart / 1000)) {
    throw new Error(
      `${NEIGHBOUR_POD} started in the same second as ${names.a} (${new Date(holderStart).toISOString()}): which of two victims of one priority the scheduler keeps is then a tie, and the scenario cannot decide`,
    );
  }
  return true;
};
