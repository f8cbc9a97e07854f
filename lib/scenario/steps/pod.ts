import type { V1Pod } from "@kubernetes/client-node";
import pRetry from "p-retry";
import { apiErrorMessage } from "../../kube/errors.ts";
import { HOSTNAME_LABEL } from "../../labels.ts";
import { hostnameOf, renderPod, renderPriorityClass, toYaml } from "../../manifests.ts";
import { runAnnotations } from "../../run.ts";
import { nodeFor } from "../record.ts";
import type { PodSlot } from "../scenarios.ts";
import type { StepCode, StepContext } from "./context.ts";

/** Creates a pod using the claim, on the first or second chosen node. */
export const pod: StepCode<"pod"> = async (context, step) => {
  await createPod(context, step.pod, nodeFor(context.state.nodes, step.node), {
    ...(step.priority ? { priority: step.priority } : {}),
    ...(step.bypassScheduler ? { bypassScheduler: true } : {}),
    ...(step.readOnly ? { readOnly: true } : {}),
  });
  return true;
};

/** Creates the slot's pod on `node` (or any of several nodes), keeps its manifest and when the API answered. */
export async function createPod(
  context: StepContext,
  slot: PodSlot,
  node: string | readonly string[],
  options: { priority?: "low" | "high"; bypassScheduler?: boolean; readOnly?: boolean },
): Promise<void> {
  const { kube, namespace, names, state } = context;
  const body = renderPod({
    name: names[slot],
    namespace,
    labels: context.labels,
    claimName: names.claim,
    image: context.run.image,
    ...(typeof node === "string"
      ? { node, ...hostnameOf(node, context.pool.labels) }
      : { anyOf: node.map((n) => context.pool.labels[n]?.[HOSTNAME_LABEL] ?? n) }),
    ...(options.bypassScheduler ? { bypassScheduler: true } : {}),
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(context.scenario.volumeMode ? { volumeMode: context.scenario.volumeMode } : {}),
    ...(options.priority ? { priorityClassName: await priorityClass(context, options.priority) } : {}),
  });
  state.manifests[names[slot]] = toYaml(body);
  await context.serviceAccount;
  await createPodObject(kube, namespace, body);
  state.createdAtMs[slot] = context.now();
}

/**
 * Creates the pod. The API server's Priority admission reads PriorityClasses
 * from a cache that may not have the one created a moment ago yet ("no
 * PriorityClass with name ... was found"): that refusal is tried again.
 */
export async function createPodObject(
  kube: StepContext["kube"],
  namespace: string,
  body: V1Pod,
): Promise<void> {
  await pRetry(() => kube.core.createNamespacedPod({ namespace, body }), {
    retries: 10,
    minTimeout: 100,
    maxTimeout: 500,
    shouldRetry: ({ error }) => /no PriorityClass with name/.test(apiErrorMessage(error)),
  });
}

/** The run's PriorityClasses for preemption (cluster-scoped, labelled, removed at the end). */
export async function priorityClass(context: StepContext, level: "low" | "high"): Promise<string> {
  const { state } = context;
  const name = `${context.namespace}-${level}`;
  if (!state.priorityClasses.includes(name)) {
    const body = renderPriorityClass(
      name,
      level === "low" ? 100 : 1_000_000,
      context.labels,
      runAnnotations(context.run),
    );
    state.manifests[name] = toYaml(body);
    await context.kube.scheduling.createPriorityClass({ body });
    state.priorityClasses.push(name);
  }
  return name;
}
