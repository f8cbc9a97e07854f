import { execInPod } from "../../kube/exec.ts";
import { dataSharedCheck, dataSharedNotApplicable } from "../checks.ts";
import type { StepCode } from "./context.ts";

/** Kubelet level: pod A writes a token into the volume (on real kubelets only; nothing is mounted elsewhere). */
export const writeToken: StepCode<"write-token"> = async (context, step) => {
  const { cluster, timeouts } = context;
  if (cluster.fidelity !== "full") return true;
  const write = ["sh", "-c", `echo ${context.token} > /data/amc-token`];
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
