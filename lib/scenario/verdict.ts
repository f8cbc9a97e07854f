import type { Fidelity } from "../cluster/fidelity.ts";
import { apiErrorMessage } from "../kube/errors.ts";
import type { Decision } from "./classify.ts";
import { type NodePool, placementGate } from "./nodes.ts";
import type { ExpectationOrNot, Scenario } from "./scenarios.ts";
import type { Check, Outcome, Verdict } from "./types.ts";

/**
 * The verdict rules, in one place:
 * - not applicable: the scenario cannot run on this cluster or class (and says why);
 * - inconclusive: no decisive evidence (a timeout, an unknown storage family): never a pass or a fail;
 * - conforms: the control plane did what Kubernetes' semantics predict for this storage;
 * - finding: it did, and that behaviour is worth reporting (RWO not enforced across nodes);
 * - deviates: it did something else.
 *
 * The order they are applied in is finalVerdict's: a gate, then a step that
 * found the scenario not applicable, then a failure of the run, then the
 * expectation's judgement of what was observed, then the kubelet-level checks.
 */

export interface Judged {
  verdict: Verdict;
  reason: string;
}

export const outcomeText: Record<Outcome, string> = {
  admitted: "admitted",
  "multi-attach-blocked": "blocked by Multi-Attach",
  "node-affinity-conflict": "refused: volume node affinity conflict",
  "rwop-scheduler-rejected": "refused by the scheduler (ReadWriteOncePod)",
  "rwop-kubelet-rejected": "refused by the kubelet (ReadWriteOncePod)",
  "handed-over": "handed over",
  "holder-preempted": "holder preempted",
  "attached-to-two-nodes": "attached to two nodes",
  "failed-over": "failed over to another node",
  "not-failed-over": "not failed over",
  "rollout-completed": "the rollout completed",
  "rollout-stalled": "the rollout stalled",
  "other-namespace-preempted": "a pod of another namespace preempted",
  "attach-refused": "refused attach for its access modes",
};

/** What was observed, as far as the verdict is concerned (a Decision, or a record's `observed`). */
export type Observed = Pick<Decision, "outcome" | "summary">;

/** The expectation's judgement of what was observed. */
export function judge(
  expectation: ExpectationOrNot,
  observed: Observed | undefined,
  undecided?: string,
): Judged {
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
  // The control plane did otherwise than documented: a finding about the cluster, not the storage.
  if (expectation.aboutControlPlane) {
    return {
      verdict: "finding",
      reason: `the control plane, not the storage, did otherwise than documented: ${observed.summary} (expected ${outcomeText[expectation.outcome]}: ${expectation.because})`,
    };
  }
  return {
    verdict: "deviates",
    reason: `expected ${outcomeText[expectation.outcome]} (${expectation.because}), observed ${outcomeText[observed.outcome]}: ${observed.summary}`,
  };
}

/**
 * Why the scenario cannot run at all on this cluster, before anything is
 * created: it needs real kubelets and the nodes are simulated, or its
 * placement cannot be had on the pool (a cross-node scenario on one node).
 */
export function scenarioGate(
  scenario: Pick<Scenario, "needsKubelet" | "placement">,
  fidelity: Fidelity,
  pool: Pick<NodePool, "nodes" | "named" | "excluded" | "pluginsOf">,
): string | undefined {
  if (scenario.needsKubelet && fidelity !== "full") return scenario.needsKubelet;
  return placementGate(pool.nodes, scenario.placement, pool);
}

/** Whether the scenario's steps run: no gate, and an expectation that is an outcome to observe. */
export function runsSteps(gate: string | undefined, expectation: ExpectationOrNot): boolean {
  return !gate && !("notApplicable" in expectation) && !("inconclusive" in expectation);
}

/**
 * A kubelet-level check that failed turns a verdict the control plane earned
 * (conforms, finding) into a deviation: the first failed check is the reason.
 * Otherwise a check that saw something worth reporting (its `finding`) turns
 * a verdict that conforms into a finding.
 */
export function withKubeletChecks(judged: Judged, checks: readonly Check[]): Judged {
  const failedCheck = checks.find((c) => c.status === "failed");
  if (failedCheck && (judged.verdict === "conforms" || judged.verdict === "finding")) {
    return { verdict: "deviates", reason: `${failedCheck.title}: no, ${failedCheck.detail}` };
  }
  const finding = checks.find((c) => c.finding !== undefined)?.finding;
  if (finding && judged.verdict === "conforms") return { verdict: "finding", reason: finding };
  return judged;
}

export interface VerdictFacts {
  /** scenarioGate's answer: the steps did not run. */
  gate?: string | undefined;
  /** A step showed the scenario cannot apply (a refused access mode, no node that fits). */
  notApplicable?: string | undefined;
  /** What made the run fail (an API error, anything not a timeout): the record is inconclusive. */
  failure?: unknown;
  expectation: ExpectationOrNot;
  /** The last decision the steps observed. */
  observed?: Observed | undefined;
  /** A wait that timed out: why, with the states last seen. */
  undecided?: string | undefined;
  checks: readonly Check[];
}

/** The record's verdict and its reason, from everything the run established. */
export function finalVerdict(facts: VerdictFacts): Judged {
  const { gate, notApplicable, failure, expectation, observed, undecided, checks } = facts;
  const judged: Judged = gate
    ? { verdict: "not-applicable", reason: gate }
    : notApplicable
      ? { verdict: "not-applicable", reason: notApplicable }
      : failure
        ? { verdict: "inconclusive", reason: `the run failed: ${apiErrorMessage(failure)}` }
        : judge(expectation, observed, undecided);
  return withKubeletChecks(judged, checks);
}
