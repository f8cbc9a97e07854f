import type { Step } from "../scenarios.ts";
import { admitted } from "./admitted.ts";
import { claim } from "./claim.ts";
import type { StepCode, StepContext } from "./context.ts";
import { readSeed, readToken, writeAttempt, writeToken } from "./data-check.ts";
import { decide } from "./decide.ts";
import { handOver } from "./hand-over.ts";
import { neighbour } from "./neighbour.ts";
import { pod } from "./pod.ts";
import { preempt } from "./preempt.ts";
import { roll } from "./roll.ts";
import { seed } from "./seed.ts";
import { workload } from "./workload.ts";
import { zoneDown } from "./zone-down.ts";

/** Every step kind's code, one module each: the runner (runner.ts) interprets a scenario's steps through here. */
const stepCode: { [K in Step["do"]]: StepCode<K> } = {
  claim,
  pod,
  admitted,
  decide,
  "write-token": writeToken,
  "read-token": readToken,
  seed,
  "read-seed": readSeed,
  "write-attempt": writeAttempt,
  "hand-over": handOver,
  preempt,
  workload,
  roll,
  neighbour,
  "zone-down": zoneDown,
};

/** Runs one step; false when the scenario ends here. */
export function runStep(context: StepContext, step: Step): Promise<boolean> {
  return (stepCode[step.do] as StepCode<Step["do"]>)(context, step);
}
