import { hostnameOf, renderWorkload, toYaml } from "../../manifests.ts";
import { provisioningRefusal } from "../classify.ts";
import { nodeFor } from "../record.ts";
import { runningOn } from "./admitted.ts";
import { refusal, type StepCode } from "./context.ts";

/** The name of the workloads family's Deployment or StatefulSet (each scenario has its own namespace). */
export const WORKLOAD_NAME = "app";

/**
 * On simulated nodes a pod is Ready without its volume, so a rolling update
 * would remove the old pod as soon as the new one starts, and the old pod
 * could be gone before the attach/detach controller (every 100 ms) looked at
 * the new one: whether Multi-Attach showed would be a race. The new pod
 * counting as available only after this long keeps the old pod there while
 * the controller decides. Real kubelets need no such help: there the new
 * pod is not Ready until its volume is mounted.
 */
export const SIMULATED_MIN_READY_SECONDS = 2;

/**
 * Creates the Deployment or StatefulSet of one replica holding the claim on
 * the first node, and waits until its pod is admitted; that pod is pod A
 * from then on (the token's writer, the rollout's old pod).
 */
export const workload: StepCode<"workload"> = async (context, step) => {
  const { kube, namespace, names, state, pool } = context;
  const node = nodeFor(state.nodes, "first");
  const body = renderWorkload({
    kind: step.kind,
    ...(step.strategy ? { strategy: step.strategy } : {}),
    ...(step.kind === "deployment" &&
    (step.strategy ?? "rolling-update") === "rolling-update" &&
    context.cluster.fidelity !== "full"
      ? { minReadySeconds: SIMULATED_MIN_READY_SECONDS }
      : {}),
    name: WORKLOAD_NAME,
    namespace,
    labels: context.labels,
    claimName: names.claim,
    image: context.run.image,
    node,
    ...hostnameOf(node, pool.labels),
  });
  state.manifests[WORKLOAD_NAME] = toYaml(body);
  // Its controller would be refused pods until the ServiceAccount exists, then retry with a back-off.
  await context.serviceAccount;
  await kube.objects.create(body);
  const pod = await context.waitUntil(
    `${WORKLOAD_NAME}'s pod to be admitted`,
    context.timeouts.admitted,
    (o) => {
      for (const candidate of o.pods.values()) {
        const name = candidate.metadata?.name;
        if (!name || candidate.metadata?.deletionTimestamp) continue;
        const on = runningOn(o, name);
        if (on) return { name, on, candidate };
      }
      const refused = provisioningRefusal(o);
      if (refused) throw refusal(context, refused);
      return undefined;
    },
  );
  names.a = pod.name;
  state.workload = {
    kind: step.kind,
    name: WORKLOAD_NAME,
    oldPod: { name: pod.name, uid: pod.candidate.metadata?.uid ?? "", node: pod.on },
  };
  return true;
};
