import { say } from "../../lib/progress.ts";
import type { Guardian, TaskPart } from "./guardian.ts";

/**
 * A run's own end under its guardian: each step that succeeds strikes its
 * parts from the guardian's task (reports written complete are never
 * rewritten as interrupted); a step that fails leaves them to the guardian,
 * which does them when the run's process ends, and the steps after it still
 * run. The guardian is dismissed only when every step succeeded, and is
 * always either dismissed or left with exactly what is left to do.
 */

export interface FinishStep {
  /** What it does, for messages: "writing the reports". */
  what: string;
  /** The parts of the guardian's task this step does. */
  parts: TaskPart[];
  work: () => Promise<void>;
  /**
   * Left to the guardian, not run, while any of these parts is: releasing
   * the cluster removes the private kubeconfig the guardian's removal of the
   * run's objects needs.
   */
  skipWhileLeft?: TaskPart[];
}

/** Runs the steps in order; throws the first failure, after saying what the guardian is left to do. */
export async function finishUnderGuardian(guardian: Guardian, steps: readonly FinishStep[]): Promise<void> {
  const left = new Set<TaskPart>();
  const failures: { step: FinishStep; error: unknown }[] = [];
  const unfinished: FinishStep[] = [];
  const succeeded = new Set<FinishStep>();
  try {
    for (const step of steps) {
      if (step.skipWhileLeft?.some((part) => left.has(part))) {
        unfinished.push(step);
        for (const part of step.parts) left.add(part);
        continue;
      }
      try {
        await step.work();
        guardian.done(...step.parts);
        succeeded.add(step);
      } catch (error) {
        failures.push({ step, error });
        unfinished.push(step);
        for (const part of step.parts) left.add(part);
      }
    }
  } finally {
    // Whatever happened above: dismissed when all is done, else the guardian holds what is left.
    if (steps.every((step) => succeeded.has(step))) guardian.dismiss();
  }
  const [first] = failures;
  if (!first) return;
  for (const { step, error } of failures) say("teardown", `${step.what} failed: ${(error as Error).message}`);
  say(
    "teardown",
    `left to the run's guardian, which does it when this process ends: ${unfinished.map((s) => s.what).join("; ")}`,
  );
  throw first.error;
}
