import type { ClusterInfo, NodeFaultMode } from "../cluster/contract.ts";

import type { RunContext } from "../run.ts";
import { scenarioRecord } from "../scenario/record.ts";
import type { Scenario } from "../scenario/scenarios.ts";
import type {
  Check,
  FailoverRecord,
  FencingResult,
  ScenarioRecord,
  StorageProfile,
  Verdict,
} from "../scenario/types.ts";
import { finalVerdict, type Judged } from "../scenario/verdict.ts";
import { type FaultInput, pathBudgetMs } from "./fault-input.ts";
import type { FailoverTimeline } from "./timeline.ts";
import { dataCheck, fencingCheck } from "./writer.ts";
import type { Writer } from "./writers.ts";

/**
 * A node-failure case's record: the scenario's verdict (did the workload fail
 * over as the storage family predicts), the data check as a kubelet-level
 * check (a lost line is a deviation), the fencing answer (an old node that
 * kept writing is a finding, whatever else the verdict says), the timeline.
 */

const KWOK_NOTE =
  "simulated nodes (kwok) report no status.volumesInUse: the attach/detach controller detaches as soon as the old pod is gone, without the 6-minute wait for an unmount that a real kubelet's node imposes";

const notApplicableCheck = (detail: string): Check => ({
  id: "data-intact",
  title: "every line the old writer made durable before the fault is there",
  status: "not-applicable",
  detail,
});

function dataOf(w: Writer, fidelityFull: boolean): Check {
  if (!fidelityFull) return notApplicableCheck("the nodes are simulated: nothing is written to the volume");
  if (!w.recovered)
    return notApplicableCheck("the workload did not run elsewhere: no replacement read the volume");
  if (!w.lines) {
    return {
      ...notApplicableCheck("the replacement's view of the volume could not be read"),
      status: "inconclusive",
    };
  }
  return dataCheck(w.lines, w.oldPod as string, w.durable);
}

function fencingOf(w: Writer, fidelityFull: boolean, mode: NodeFaultMode): FencingResult {
  if (!fidelityFull)
    return { status: "not-applicable", detail: "the nodes are simulated: no container writes" };
  if (!w.recovered) return { status: "not-applicable", detail: "the volume did not move to another node" };
  if (mode === "powered-off") {
    return {
      status: "not-applicable",
      detail: "the old node was powered off: its containers could not write",
    };
  }
  if (!w.lines)
    return { status: "inconclusive", detail: "the replacement's view of the volume could not be read" };
  return fencingCheck(w.lines, w.oldPod as string, w.timeline?.replacement as string);
}

/** Not fenced turns conforms into a finding, and adds itself to another finding. */
export function withFencing(judged: Judged, fencing: FencingResult): Judged {
  if (fencing.status !== "not-fenced") return judged;
  if (judged.verdict === "conforms") return { verdict: "finding", reason: fencing.detail };
  if (judged.verdict === "finding")
    return { verdict: "finding", reason: `${judged.reason}; ${fencing.detail}` };
  return judged;
}

function observedOf(w: Writer, timeline: FailoverTimeline, budgetMs: number) {
  if (w.recovered) {
    const first = timeline.get("replacement-first-write") ?? timeline.get("replacement-running");
    const after = first ? ` ${(first.sinceFaultMs / 1000).toFixed(1)} s after the fault` : "";
    return {
      outcome: "failed-over" as const,
      summary: `the replacement ${timeline.replacement} ${timeline.has("replacement-first-write") ? "wrote" : "ran"} on ${timeline.replacementNode ?? "another node"}${after}`,
    };
  }
  const refused = timeline.get("replacement-refused");
  const replacement = timeline.replacement ? `the replacement ${timeline.replacement}` : "no replacement";
  return {
    outcome: "not-failed-over" as const,
    summary: `${replacement} did not run elsewhere within ${Math.round(budgetMs / 1000)} s of its path's start${refused ? ` (${refused.detail})` : ""}`,
  };
}

export function failoverRecord(facts: {
  writer: Writer;
  input: FaultInput;
  parameters: Record<string, string>;
  failure: unknown;
  startedAt: Date;
  finishedAt: Date;
}): ScenarioRecord {
  const { writer: w, input, parameters, failure } = facts;
  const { scenario, storage } = w.case;
  const full = input.cluster.fidelity === "full";
  const timeline = w.timeline;
  const expectation = scenario.expect(storage);
  const path = scenario.failover?.path ?? "none";
  const budgetMs = pathBudgetMs(w.case, input.settings.budgetMs);
  const data = dataOf(w, full);
  const fencing = fencingOf(w, full, input.mode);
  const observed = timeline ? observedOf(w, timeline, budgetMs) : undefined;
  const judged: Judged = w.excluded
    ? { verdict: w.excluded.verdict, reason: w.excluded.reason }
    : withFencing(
        finalVerdict({
          failure: failure ?? (timeline ? undefined : new Error("the fault was not injected")),
          expectation,
          observed,
          checks: [data],
        }),
        fencing,
      );
  const phases = timeline?.list() ?? [];
  // Writing elsewhere: the replacement's first line; on simulated nodes running there, its volume attached.
  const done = full
    ? phases.find((p) => p.id === "replacement-first-write")
    : phases
        .filter(
          (p) =>
            p.id === "replacement-running" ||
            (storage.family === "attachable" && p.id === "new-attachment-attached"),
        )
        .at(-1);
  const notes = [
    ...(full ? [] : [KWOK_NOTE]),
    ...(path === "force-delete"
      ? [
          `the force-delete path's budget counts from the force delete${storage.family === "attachable" ? ", plus the attach/detach controller's 6-minute unmount wait" : ""}`,
        ]
      : []),
  ];
  const failover: FailoverRecord = {
    mode: input.mode,
    fault: input.faults.describe(input.mode),
    path,
    node: input.nodes.failed,
    ...(timeline?.replacementNode ? { replacementNode: timeline.replacementNode } : {}),
    budgetMs,
    parameters,
    phases,
    recovered: w.recovered,
    ...(w.recovered && done ? { totalMs: done.sinceFaultMs } : {}),
    data,
    fencing,
    notes,
  };
  return {
    ...scenarioRecord({
      runId: input.run.runId,
      scenario,
      storage,
      cluster: input.cluster,
      namespace: w.namespace,
      nodes: {
        first: input.nodes.failed,
        second: timeline?.replacementNode ?? input.nodes.other,
        reason: `the writer starts on ${input.nodes.failed}, the node that fails; its replacement may run on ${input.nodes.other}`,
      },
      expectation,
      observed,
      verdict: judged,
      checks: [data],
      cleanupNotes: [],
      evidence: { events: w.events.evidence(), objects: w.objects, manifests: w.manifests },
      timings: { startedAt: facts.startedAt, finishedAt: facts.finishedAt, measured: {}, steps: [] },
    }),
    failover,
  };
}

/** A record for a case that did not run at all (no node faults, one node, a mode the cluster lacks, an unknown family). */
export function notRunRecord(facts: {
  scenario: Scenario;
  storage: StorageProfile;
  cluster: ClusterInfo;
  run: RunContext;
  mode: NodeFaultMode;
  verdict: Extract<Verdict, "not-applicable" | "inconclusive">;
  reason: string;
}): ScenarioRecord {
  const { scenario, storage, cluster, mode } = facts;
  const now = new Date();
  const expectation = scenario.expect(storage);
  return {
    ...scenarioRecord({
      runId: facts.run.runId,
      scenario,
      storage,
      cluster,
      nodes: undefined,
      expectation,
      observed: undefined,
      verdict: { verdict: facts.verdict, reason: facts.reason },
      checks: [],
      cleanupNotes: [],
      evidence: { events: [], objects: [], manifests: {} },
      timings: { startedAt: now, finishedAt: now, measured: {}, steps: [] },
    }),
    failover: {
      mode,
      fault: "",
      path: scenario.failover?.path ?? "none",
      node: "",
      budgetMs: 0,
      parameters: {},
      phases: [],
      recovered: false,
      data: notApplicableCheck(facts.reason),
      fencing: { status: "not-applicable", detail: facts.reason },
      notes: [],
    },
  };
}
