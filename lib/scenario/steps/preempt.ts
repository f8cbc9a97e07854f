import { type Decision, preempted, preemptedBeside, preemptorAfter } from "../classify.ts";
import { nodeFor } from "../record.ts";
import type { StepCode } from "./context.ts";
import { keepDecision } from "./decide.ts";
import { NEIGHBOUR_POD } from "./neighbour.ts";
import { createPod } from "./pod.ts";

/**
 * Creates the higher-priority pod on the holder's node and waits for it to
 * preempt the holder. Beside another namespace's holder of a same-named claim
 * (rwop-preemption-namespaces), that holder's preemption decides it, and the
 * preemptor is then watched until the scheduler is done with it: admitted, or
 * back to waiting (nominated to the node, with its FailedScheduling event).
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
  const decision: Decision = await context.waitUntil(
    `${preemptor} to preempt ${holder}`,
    context.timeouts.preemption,
    decide,
  );
  keepDecision(context, decision, step.by);
  if (decision.outcome === "other-namespace-preempted") {
    const after = await context.waitUntil(
      `the scheduler to admit ${preemptor} or send it back to wait`,
      context.timeouts.decision,
      (o) => preemptorAfter(o, preemptor),
    );
    context.state.decision = { ...decision, summary: `${decision.summary}; then ${after}` };
  }
  return true;
};
