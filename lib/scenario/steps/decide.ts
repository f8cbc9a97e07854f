import { WaitTimeoutError } from "../../kube/wait.ts";
import { podBStuckCheck, podBStuckNotApplicable, reportedByKubelet } from "../checks.ts";
import { decide as classify, type Decision } from "../classify.ts";
import type { PodSlot } from "../scenarios.ts";
import { decisionTimings } from "../timing.ts";
import type { StepCode, StepContext } from "./context.ts";

/** Waits for the control plane's decision about the pod (the other pod holds the volume) and keeps it. */
export const decide: StepCode<"decide"> = async (context, step) => {
  const subject = context.names[step.pod];
  const holder = context.names[step.pod === "a" ? "b" : "a"];
  const decision = await context.waitUntil(
    `the control plane's decision on ${subject}`,
    context.timeouts.decision,
    (o) => classify(o, subject, holder),
  );
  keepDecision(context, decision, step.pod);
  await checkStuck(context, decision, subject);
  return true;
};

/** Keeps the decision and its timings: from the pod's creation, and from the deciding event's emission. */
export function keepDecision(context: StepContext, decision: Decision, pod: PodSlot): void {
  const { state } = context;
  const decidedAtMs = context.now();
  state.decision = decision;
  Object.assign(
    state.timings,
    decisionTimings({
      createdAtMs: state.createdAtMs[pod],
      decidedAtMs,
      event: decision.event,
      eventFirstSeenMs: decision.event ? state.events.firstSeenMs(decision.event) : undefined,
    }),
  );
}

/** Kubelet level: a pod blocked by Multi-Attach must stay in ContainerCreating. */
async function checkStuck(context: StepContext, decision: Decision, subject: string): Promise<void> {
  if (decision.outcome !== "multi-attach-blocked") return;
  const notApplicable = podBStuckNotApplicable(context.cluster.fidelity);
  if (notApplicable) {
    context.state.checks.push(notApplicable);
    return;
  }
  // The attach/detach controller may speak before the kubelet has reported the pod at all.
  const pod = await context
    .waitUntil(`${subject}'s status from its kubelet`, context.timeouts.decision, (o) =>
      reportedByKubelet(o.pods.get(subject)),
    )
    .catch((error: unknown) => {
      if (error instanceof WaitTimeoutError) return undefined;
      throw error;
    });
  context.state.checks.push(podBStuckCheck(pod));
}
