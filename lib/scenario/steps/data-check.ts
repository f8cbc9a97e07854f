import { execInPod } from "../../kube/exec.ts";
import { dataSharedCheck, dataSharedNotApplicable } from "../checks.ts";
import type { PodSlot } from "../scenarios.ts";
import { containersRunning } from "./admitted.ts";
import type { StepCode, StepContext } from "./context.ts";

/** Kubelet level: pod A writes a token into the volume (on real kubelets only; nothing is mounted elsewhere). */
export const writeToken: StepCode<"write-token"> = async (context, step) => {
  const { cluster, timeouts } = context;
  if (cluster.fidelity !== "full") return true;
  const write = ["sh", "-c", `echo ${context.token} > /data/amc-token`];
  await untilRunning(context, step.pod);
  await execInPod(context.kube, context.namespace, context.names[step.pod], "app", write, timeouts.exec);
  return true;
};

/** Kubelet level: pod B reads the token pod A wrote into the shared volume. */
export const readToken: StepCode<"read-token"> = async (context, step) => {
  const { state } = context;
  const notApplicable = dataSharedNotApplicable(context.cluster.fidelity, state.decision);
  if (notApplicable) {
    state.checks.push(notApplicable);
    return true;
  }
  await untilRunning(context, step.pod);
  const read = await execInPod(
    context.kube,
    context.namespace,
    context.names[step.pod],
    "app",
    ["cat", "/data/amc-token"],
    context.timeouts.exec,
  );
  state.checks.push(dataSharedCheck(context.token, read));
  return true;
};

/**
 * Waits until the pod's container runs: a pod the control plane admitted
 * (phase Running) may have its container restarting after a transient
 * container-runtime failure, and an exec into it would be refused.
 */
async function untilRunning(context: StepContext, slot: PodSlot): Promise<void> {
  const name = context.names[slot];
  await context.waitUntil(`${name}'s container to run`, context.timeouts.admitted, (o) =>
    containersRunning(o.pods.get(name)) ? true : undefined,
  );
}
