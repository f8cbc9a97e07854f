import { admittedOn, provisioningRefusal } from "../classify.ts";
import { refusal, type StepCode } from "./context.ts";

/**
 * Waits until the control plane admitted the pod: scheduled, its volume
 * attached where needed, running. A class that refuses the claim's access
 * mode only now (WaitForFirstConsumer) makes the scenario not applicable.
 */
export const admitted: StepCode<"admitted"> = async (context, step) => {
  const name = context.names[step.pod];
  await context.waitUntil(`${name} to be admitted`, context.timeouts.admitted, (o) => {
    const node = admittedOn(o, name);
    if (node) return node;
    const refused = provisioningRefusal(o);
    if (refused) throw refusal(context, refused);
    return undefined;
  });
  return true;
};
