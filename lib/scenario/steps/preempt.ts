import { WaitTimeoutError } from "../../kube/wait.ts";
import { admittedOn, type Decision, preempted, preemptedBeside } from "../classify.ts";
import { nodeFor } from "../record.ts";
import type { StepCode } from "./context.ts";
import { keepDecision } from "./decide.ts";
import { NEIGHBOUR_POD } from "./neighbour.ts";
import { createPod } from "./pod.ts";

/** How long the preemptor is watched after another namespace's pod was preempted: does it run at all? */
export const AFTER_WRONG_PREEMPTION_MS = 10_000;

/**
 * Creates the higher-priority pod on the holder's node and waits for it to
 * preempt the holder. Beside another namespace's holder of a same-named claim
 * (rwop-preemption-namespaces), that holder's preemption decides it, and the
 * preemptor is then watched a little longer: was it admitted, or does it stay
 * Pending?
 */
export const preempt: StepCode<"preempt"> = async (context, step) => {
  const { names } = context;
  const holder = names[step.holder];
  const preemptor = names[step.by];
  await createPod(context, step.by, nodeFor(context.state.nodes, "first"), { priority: "high" });
  const decide = (o: Parameters<typeof preempted>[0]) =>
    context.neighbour
      ? preemptedBeside(o, holder, preemptor, NEIGHBOUR_POD)
      : preempted(o, holder, preemptor);
  let decision: Decision = await context.waitUntil(
    `${preemptor} to preempt ${holder}`,
    context.timeouts.preemption,
    decide,
  );
  keepDecision(context, decision, step.by);
  // Already admitted: the wait's first look answers at once.
  if (decision.outcome === "other-namespace-preempted") {
    decision = await context
      .waitUntil(`${preemptor} to be admitted after the preemption`, AFTER_WRONG_PREEMPTION_MS, (o) =>
        admittedOn(o, preemptor) ? decide(o) : undefined,
      )
      .catch((error: unknown) => {
        if (!(error instanceof WaitTimeoutError)) throw error;
        return {
          ...decision,
          summary: `${decision.summary}, and still was not ${AFTER_WRONG_PREEMPTION_MS / 1000} s later`,
        };
      });
    context.state.decision = decision;
  }
  return true;
};
