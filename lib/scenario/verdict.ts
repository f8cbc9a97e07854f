import type { Decision } from "./classify.ts";
import type { ExpectationOrNot } from "./scenarios.ts";
import type { Outcome, Verdict } from "./types.ts";

/**
 * The verdict rules, in one place:
 * - not applicable: the scenario cannot run on this cluster or class (and says why);
 * - inconclusive: no decisive evidence (a timeout, an unknown storage family): never a pass or a fail;
 * - conforms: the control plane did what Kubernetes' semantics predict for this storage;
 * - finding: it did, and that behaviour is worth reporting (RWO not enforced across nodes);
 * - deviates: it did something else.
 */

export const outcomeText: Record<Outcome, string> = {
  admitted: "admitted",
  "multi-attach-blocked": "blocked by Multi-Attach",
  "node-affinity-conflict": "refused: volume node affinity conflict",
  "rwop-scheduler-rejected": "refused by the scheduler (ReadWriteOncePod)",
  "rwop-kubelet-rejected": "refused by the kubelet (ReadWriteOncePod)",
  "handed-over": "handed over",
  "holder-preempted": "holder preempted",
  "attached-to-two-nodes": "attached to two nodes",
};

export function judge(
  expectation: ExpectationOrNot,
  observed: Decision | undefined,
  undecided?: string,
): { verdict: Verdict; reason: string } {
  if ("notApplicable" in expectation) return { verdict: "not-applicable", reason: expectation.notApplicable };
  if ("inconclusive" in expectation) return { verdict: "inconclusive", reason: expectation.inconclusive };
  // A wait that timed out leaves the scenario undecided, whatever an earlier step observed.
  if (undecided) {
    const before = observed ? `; before that: ${outcomeText[observed.outcome]} (${observed.summary})` : "";
    return { verdict: "inconclusive", reason: `${undecided}${before}` };
  }
  if (!observed) return { verdict: "inconclusive", reason: "no decisive evidence" };
  if (observed.outcome === expectation.outcome) {
    if (expectation.finding) return { verdict: "finding", reason: expectation.finding };
    return { verdict: "conforms", reason: `${observed.summary}, as expected: ${expectation.because}` };
  }
  return {
    verdict: "deviates",
    reason: `expected ${outcomeText[expectation.outcome]} (${expectation.because}), observed ${outcomeText[observed.outcome]}: ${observed.summary}`,
  };
}
