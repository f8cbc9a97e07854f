import type { V1Pod } from "@kubernetes/client-node";
import { admittedOn, capabilityRefusal, type Observations, provisioningRefusal } from "../classify.ts";
import { claimModes } from "../scenarios.ts";
import { NotApplicable, refusal, type StepCode } from "./context.ts";

/**
 * Waits until the control plane admitted the pod: scheduled, its volume
 * attached where needed, running. A class that refuses the claim's access
 * mode only now (WaitForFirstConsumer) makes the scenario not applicable.
 *
 * On real kubelets "running" means the container runs: a pod whose container
 * failed to start (a container-runtime failure such as "runc create failed",
 * which the kubelet retries) is already in phase Running (restart policy
 * Always) while its container waits in CrashLoopBackOff. The wait goes on
 * until the container runs or its own timeout: the next step execs into it.
 */
export const admitted: StepCode<"admitted"> = async (context, step) => {
  const name = context.names[step.pod];
  await context.waitUntil(`${name} to be admitted`, context.timeouts.admitted, (o) => {
    const node = runningOn(o, name);
    if (node) return node;
    const refused = provisioningRefusal(o);
    if (refused) throw refusal(context, refused);
    const unserved = capabilityRefusal(o, name);
    if (unserved) {
      throw new NotApplicable(
        `${context.storage.className} does not serve ${claimModes(context.scenario).join(" with ")} (${unserved.reason}): ${unserved.message ?? ""}`,
      );
    }
    return undefined;
  });
  return true;
};

/** The node the pod was admitted on, once (on real kubelets) its containers run too. */
export function runningOn(observations: Observations, name: string): string | undefined {
  const node = admittedOn(observations, name);
  if (!node) return undefined;
  return observations.fidelity !== "full" || containersRunning(observations.pods.get(name))
    ? node
    : undefined;
}

/** Whether every container of the pod runs now (not waiting to start or restart, not terminated). */
export function containersRunning(pod: V1Pod | undefined): boolean {
  const statuses = pod?.status?.containerStatuses ?? [];
  return statuses.length > 0 && statuses.every((status) => status.state?.running !== undefined);
}
