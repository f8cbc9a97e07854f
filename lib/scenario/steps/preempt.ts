import { preempted } from "../classify.ts";
import { nodeFor } from "../record.ts";
import type { StepCode } from "./context.ts";
import { keepDecision } from "./decide.ts";
import { createPod } from "./pod.ts";

/** Creates the higher-priority pod on the holder's node and waits for it to preempt the holder. */
export const preempt: StepCode<"preempt"> = async (context, step) => {
  const { names } = context;
  await createPod(context, step.by, nodeFor(context.state.nodes, "first"), { priority: "high" });
  const decision = await context.waitUntil(
    `${names[step.by]} to preempt ${names[step.holder]}`,
    context.timeouts.preemption,
    (o) => preempted(o, names[step.holder], names[step.by]),
  );
  keepDecision(context, decision, step.by);
  return true;
};
