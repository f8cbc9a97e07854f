import { type Decision, preempted, preemptedBeside, preemptorAfter } from "../classify.ts";
import { nodeFor } from "../record.ts";
import type { StepCode } from "./context.ts";
import { keepDecision } from "./decide.ts";
import { NEIGHBOUR_POD } from "./neighbour.ts";
import { createPod } from "./pod.ts";

/**
 * Creates the higher-priority pod on the holder's node and waits for it to
 * preempt the holder. Beside another namespace's holder of a same-named claim
 * (rwop-preemption-namespaces), that holder's preemption decides it, with the
 * preemptor's state at that moment: the scheduler nominates it and refuses it
 * in the same cycle as it preempts, and tries it again only at its periodic
 * flush of unschedulable pods (five minutes), which the scenario does not wait for.
 */
export const preempt: StepCode<"preempt"> = async (context, step) => {
  const { names } = context;
  const holder = names[step.holder];
  const preemptor = names[step.by];
  await createPod(context, step.by, nodeFor(context.state.nodes, "first"), { priority: "high" });
  const decision = await context.waitUntil(
    `${preemptor} to preempt ${holder}`,
    context.timeouts.preemption,
    (o): Decision | undefined => {
      if (!context.neighbour) return preempted(o, holder, preemptor);
      const decided = preemptedBeside(o, holder, preemptor, NEIGHBOUR_POD);
      if (decided?.outcome !== "other-namespace-preempted") return decided;
      const after = preemptorAfter(o, preemptor);
      return after ? { ...decided, summary: `${decided.summary} (${after})` } : decided;
    },
  );
  keepDecision(context, decision, step.by);
  return true;
};
