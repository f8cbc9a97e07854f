import type { ClusterInfo } from "../cluster/contract.ts";
import type { Decision } from "./classify.ts";
import { toEventEvidence } from "./evidence.ts";
import type { NodeChoice } from "./nodes.ts";
import { claimModes, type ExpectationOrNot, type PodSlot, type Scenario, type Step } from "./scenarios.ts";
import type { MeasuredTimings } from "./timing.ts";
import {
  type Check,
  type ObjectEvidence,
  type RolloutStrategy,
  SCENARIO_RECORD_SCHEMA,
  type ScenarioRecord,
  type StepTiming,
  type StorageProfile,
} from "./types.ts";
import type { Judged } from "./verdict.ts";

/**
 * A scenario's record, assembled from what its run established, and the
 * words the run uses for what it does (test-report steps, a timeout's last
 * seen states). Pure: the runner (runner.ts) gathers, this module writes.
 * Writing records to disk and reading them back is records.ts.
 */

/** The object names of one scenario run: its claim, and its two pods by slot. */
export type ScenarioNames = { claim: string } & Record<PodSlot, string>;

/** The node a slot of the choice names; before the claim step chose the nodes, there is none. */
export function nodeFor(nodes: NodeChoice | undefined, slot: "first" | "second"): string {
  const node = slot === "first" ? nodes?.first : nodes?.second;
  if (!node) throw new Error(`no ${slot} node chosen`);
  return node;
}

export interface StepWording {
  names: ScenarioNames;
  scenario: Pick<Scenario, "accessMode" | "accessModes" | "volumeMode">;
  storage: Pick<StorageProfile, "className">;
  /** The nodes chosen so far (by the claim step). */
  nodes?: NodeChoice | undefined;
}

/** A step as a person would say it, for test reports ("place pod-b on amc-node-a2"). */
export function describeStep(step: Step, { names, scenario, storage, nodes }: StepWording): string {
  switch (step.do) {
    case "claim":
      return `create PVC ${names.claim} (${claimModes(scenario).join(", ")}${scenario.volumeMode === "Block" ? ", raw block" : ""}, class ${storage.className})`;
    case "seed":
      return `fill a volume of class ${storage.className} through a ReadWriteOnce claim, then re-bind it to PVC ${names.claim} (${claimModes(scenario).join(", ")})`;
    case "read-seed":
      return "read the data written before the re-binding from the pods the volume reached";
    case "write-attempt":
      return `try to write to the volume (the pods mounted it ${step.readOnly ? "readOnly" : "without readOnly"})`;
    case "pod": {
      const how = step.bypassScheduler ? " with spec.nodeName, bypassing the scheduler" : "";
      const readOnly = step.readOnly ? ", its claim readOnly," : "";
      return `place ${names[step.pod]}${step.priority ? ` (${step.priority} priority)` : ""}${readOnly} on ${nodeFor(nodes, step.node)}${how}`;
    }
    case "admitted":
      return `wait for ${names[step.pod]} to be admitted`;
    case "decide":
      return `wait for the control plane's decision on ${names[step.pod]}`;
    case "write-token":
      return `write a token to the volume from ${names[step.pod]}`;
    case "read-token":
      return `read the token back from ${names[step.pod]}`;
    case "hand-over":
      return `delete ${names[step.from]} and wait for the volume to reach ${names[step.to]}'s node`;
    case "preempt":
      return `place ${names[step.by]} (high priority) and wait for it to preempt ${names[step.holder]}`;
    case "zone-down":
      return `take ${nodeFor(nodes, "first")}'s zone down (NoSchedule on its nodes), delete ${names[step.holder]}, place ${names[step.by]} on any node and wait for the decision`;
    case "workload": {
      const strategy = step.strategy ? ` (strategy ${strategyWords[step.strategy]})` : "";
      return `create a ${step.kind === "deployment" ? "Deployment" : "StatefulSet"} of one replica${strategy} on ${nodeFor(nodes, "first")} and wait for its pod`;
    }
    case "neighbour":
      return `in a second namespace, create a claim also named ${names.claim} and its holder (low priority) on ${nodeFor(nodes, "first")}`;
    case "roll":
      return `change its pod template so that the next pod runs on ${nodeFor(nodes, step.to)}, and wait for the rollout to complete or stall`;
  }
}

/** How a rollout strategy reads in reports. */
export const strategyWords: Record<RolloutStrategy, string> = {
  "rolling-update": "RollingUpdate, the default maxSurge 25%",
  "no-surge": "RollingUpdate, maxSurge 0, maxUnavailable 1",
  recreate: "Recreate",
};

/** A wait's timeout as the record's reason: its message, and the objects' states when it was last seen. */
export function timeoutReason(message: string, objects: readonly ObjectEvidence[]): string {
  const lastAt = objects.at(-1)?.at;
  const states = objects.filter((o) => o.at === lastAt).map((o) => `${o.kind} ${o.name}: ${o.state}`);
  return `${message}${states.length > 0 ? `; last seen: ${states.join("; ")}` : ""}`;
}

/**
 * The record's `observed`: the decision, and the event that decided it as
 * evidence, received when the suite first saw it (`firstSeenMs`), else `nowMs`.
 */
export function observedRecord(
  decision: Decision,
  firstSeenMs: number | undefined,
  nowMs: number,
): NonNullable<ScenarioRecord["observed"]> {
  const event = decision.event;
  return {
    outcome: decision.outcome,
    summary: decision.summary,
    ...(event ? { decidedBy: toEventEvidence(event, new Date(firstSeenMs ?? nowMs)) } : {}),
  };
}

/** Everything a scenario's run established, for its record. */
export interface RecordFacts {
  runId: string;
  scenario: Pick<Scenario, "id" | "title" | "accessMode" | "accessModes" | "volumeMode" | "subject">;
  storage: Pick<StorageProfile, "className" | "provisioner" | "family" | "familyReason">;
  cluster: Pick<ClusterInfo, "provider" | "name" | "fidelity" | "kubernetesVersion">;
  /** The scenario's namespace; none when the steps did not run. */
  namespace?: string | undefined;
  /** The nodes the claim step chose; none when no pod was placed. */
  nodes?: NodeChoice | undefined;
  expectation: ExpectationOrNot;
  observed?: ScenarioRecord["observed"] | undefined;
  verdict: Judged;
  checks: Check[];
  cleanupNotes: string[];
  evidence: ScenarioRecord["evidence"];
  timings: { startedAt: Date; finishedAt: Date; measured: MeasuredTimings; steps: StepTiming[] };
}

/** The record of one scenario on one storage class, as reports read it. */
export function scenarioRecord(facts: RecordFacts): ScenarioRecord {
  const { scenario, storage, cluster, nodes, expectation, observed, verdict, timings } = facts;
  return {
    schema: SCENARIO_RECORD_SCHEMA,
    runId: facts.runId,
    scenario: scenario.id,
    title: scenario.title,
    accessMode: scenario.accessMode,
    ...(scenario.accessModes ? { accessModes: [...scenario.accessModes] } : {}),
    ...(scenario.volumeMode ? { volumeMode: scenario.volumeMode } : {}),
    storageClass: storage.className,
    provisioner: storage.provisioner,
    storageFamily: storage.family,
    familyReason: storage.familyReason,
    cluster: {
      provider: cluster.provider,
      name: cluster.name,
      fidelity: cluster.fidelity,
      kubernetesVersion: cluster.kubernetesVersion,
    },
    ...(facts.namespace ? { namespace: facts.namespace } : {}),
    nodes: {
      // A same-node choice names one node: both pods are on it.
      ...(nodes ? { a: nodes.first, b: nodes.second ?? nodes.first } : {}),
      reason: nodes?.reason ?? "no pods were placed",
    },
    ...("outcome" in expectation ? { expected: expectation } : {}),
    ...(observed ? { observed } : {}),
    verdict: verdict.verdict,
    reason: verdict.reason,
    checks: facts.checks,
    ...(facts.cleanupNotes.length > 0 ? { cleanupNotes: facts.cleanupNotes } : {}),
    ...(scenario.subject ? { subject: scenario.subject } : {}),
    evidence: facts.evidence,
    timings: {
      startedAt: timings.startedAt.toISOString(),
      finishedAt: timings.finishedAt.toISOString(),
      ...timings.measured,
      steps: timings.steps,
    },
  };
}
