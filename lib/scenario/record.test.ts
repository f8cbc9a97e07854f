import { describe, expect, it } from "vitest";
import { recordedPlan, recordedRecords } from "../report/testdata/fixture.ts";
import { decide } from "./classify.ts";
import { emittedAt } from "./evidence.ts";
import type { NodeChoice } from "./nodes.ts";
import {
  describeStep,
  nodeFor,
  observedRecord,
  type ScenarioNames,
  scenarioRecord,
  timeoutReason,
} from "./record.ts";
import { allScenarios, type Scenario, type Step } from "./scenarios.ts";
import { observe, plannedProfile, recording, scenarioOf } from "./testdata/recordings.ts";
import type { ScenarioRecord } from "./types.ts";

/**
 * The record's assembly and the run's wording, on the records of a real run
 * on the local cluster (lib/report/testdata/run) and on cluster objects
 * recorded there (testdata/*.json).
 */

const scenario = scenarioOf;
const profile = plannedProfile;

/** The node choice a record's nodes came from: a same-node choice names one node. */
function choiceOf(r: ScenarioRecord, s: Scenario): NodeChoice | undefined {
  if (!r.nodes.a) return undefined;
  return {
    first: r.nodes.a,
    ...(s.placement === "cross-node" && r.nodes.b ? { second: r.nodes.b } : {}),
    reason: r.nodes.reason,
  };
}

describe("a recorded run's records, assembled again from what each run established", () => {
  for (const r of recordedRecords) {
    it(`${r.scenario}@${r.storageClass}, byte for byte as written`, () => {
      const s = scenario(r.scenario);
      const { startedAt, finishedAt, steps, ...measured } = r.timings;
      const rebuilt = scenarioRecord({
        runId: recordedPlan.runId,
        scenario: s,
        storage: profile(r.storageClass),
        // The plan's cluster carries its nodes too: the record keeps four facts of it.
        cluster: recordedPlan.cluster,
        namespace: r.namespace ?? "",
        nodes: choiceOf(r, s),
        // What was expected then (rwx-cross-node on attachable storage now expects the volume
        // attached to both nodes); today's expectations have tests of their own.
        expectation: r.expected ?? s.expect(profile(r.storageClass)),
        observed: r.observed,
        verdict: { verdict: r.verdict, reason: r.reason },
        checks: r.checks,
        cleanupNotes: r.cleanupNotes ?? [],
        evidence: r.evidence,
        timings: { startedAt: new Date(startedAt), finishedAt: new Date(finishedAt), measured, steps },
      });
      expect(JSON.stringify(rebuilt, null, 2)).toBe(JSON.stringify(r, null, 2));
    });
  }
});

describe("the record's parts", () => {
  const [r] = recordedRecords.filter((x) => x.scenario === "rwo-same-node" && x.storageClass === "amc-block");
  if (!r) throw new Error("no recorded rwo-same-node@amc-block");
  const s = scenario("rwo-same-node");
  const base = {
    runId: r.runId,
    scenario: s,
    storage: profile("amc-block"),
    cluster: r.cluster,
    expectation: s.expect(profile("amc-block")),
    verdict: { verdict: "conforms" as const, reason: "as expected" },
    checks: [],
    cleanupNotes: [],
    evidence: { events: [], objects: [], manifests: {} },
    timings: {
      startedAt: new Date("2026-11-21T12:00:00.000Z"),
      finishedAt: new Date("2026-11-21T12:00:09.500Z"),
      measured: {},
      steps: [],
    },
  };

  it("puts both pods on the one node of a same-node choice", () => {
    const record = scenarioRecord({ ...base, nodes: { first: "n1", reason: "both pods on n1" } });
    expect(record.nodes).toEqual({ a: "n1", b: "n1", reason: "both pods on n1" });
  });

  it("says no pods were placed, and keeps no namespace, when the steps did not run", () => {
    const record = scenarioRecord({ ...base, namespace: "" });
    expect(record.nodes).toEqual({ reason: "no pods were placed" });
    expect(record).not.toHaveProperty("namespace");
    expect(record).not.toHaveProperty("observed");
    expect(record).not.toHaveProperty("cleanupNotes");
  });

  it("keeps the expectation only when it is an outcome, and clean-up notes only when there are some", () => {
    const notApplicable = scenarioRecord({ ...base, expectation: { notApplicable: "not attachable" } });
    expect(notApplicable).not.toHaveProperty("expected");
    const kept = scenarioRecord({
      ...base,
      cleanupNotes: ["PersistentVolume pvc-1 kept: reclaim policy Retain"],
    });
    expect(kept.expected).toEqual(s.expect(profile("amc-block")));
    expect(kept.cleanupNotes).toEqual(["PersistentVolume pvc-1 kept: reclaim policy Retain"]);
  });

  it("writes the schema id reports on disk already hold", () => {
    expect(scenarioRecord(base).schema).toBe("access-mode-conformance/run-record@1");
  });

  it("puts the measured timings between the run's start and end and its steps", () => {
    const record = scenarioRecord({
      ...base,
      timings: {
        ...base.timings,
        measured: { decisionMs: 174.6 },
        steps: [{ step: "claim", startedAt: "x", ms: 1 }],
      },
    });
    expect(Object.keys(record.timings)).toEqual(["startedAt", "finishedAt", "decisionMs", "steps"]);
    expect(record.timings.finishedAt).toBe("2026-11-21T12:00:09.500Z");
  });
});

describe("the observed decision, as recorded", () => {
  const r = recording("rwo-cross-block");
  const blocked = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
  if (!blocked?.event) throw new Error("the recording is not decided by an event");
  const emitted = emittedAt(blocked.event);

  it("keeps the deciding event, received when the suite first saw it", () => {
    const firstSeen = Date.parse("2026-11-21T11:51:55.100Z");
    const observed = observedRecord(blocked, firstSeen, firstSeen + 60_000);
    expect(observed).toMatchObject({
      outcome: "multi-attach-blocked",
      summary: "the attach/detach controller blocked pod-b",
      decidedBy: {
        reason: "FailedAttachVolume",
        source: "attachdetach-controller",
        receivedAt: "2026-11-21T11:51:55.100Z",
        emittedAt: emitted?.at.toISOString(),
        emittedAtPrecision: "ns",
      },
    });
  });

  it("takes now as the receipt of an event never seen arriving", () => {
    const now = Date.parse("2026-11-21T12:00:00.000Z");
    expect(observedRecord(blocked, undefined, now).decidedBy?.receivedAt).toBe("2026-11-21T12:00:00.000Z");
  });

  it("has no deciding event when the pod was admitted", () => {
    const shared = recording("rwo-cross-shared");
    const admitted = decide(observe(shared, { attachRequired: false }), "pod-b", "pod-a");
    if (!admitted) throw new Error("undecided");
    expect(observedRecord(admitted, undefined, 0)).toEqual({
      outcome: "admitted",
      summary:
        "pod-b was admitted on amc-node-a2 next to pod-a (scheduled, and its volume attached where needed)",
    });
  });
});

describe("a timeout's reason", () => {
  const [r] = recordedRecords.filter(
    (x) => x.scenario === "rwo-cross-node" && x.storageClass === "amc-block",
  );
  if (!r) throw new Error("no recorded rwo-cross-node@amc-block");

  it("names the states seen when the last wait ended, and only those", () => {
    const reason = timeoutReason("timed out after 120000 ms waiting for x", r.evidence.objects);
    expect(reason).toBe(
      "timed out after 120000 ms waiting for x; last seen: Pod pod-a: Running on amc-node-a1; Pod pod-b: Running on amc-node-a2; " +
        "VolumeAttachment csi-cade9ef95e7af5978e3b774d5519b8ed755a30c31924e62e4e2cb66ebf1c303e: pvc-9d211186-2393-413c-ba6b-7e48bfa76351 on amc-node-a1: attached",
    );
  });

  it("is the timeout alone when nothing was seen", () => {
    expect(timeoutReason("timed out after 120000 ms waiting for x", [])).toBe(
      "timed out after 120000 ms waiting for x",
    );
  });
});

describe("the steps' wording", () => {
  const names: ScenarioNames = { claim: "rwo-pvc-03d05d", a: "pod-a", b: "pod-b" };
  const wording = (step: Step, nodes?: NodeChoice) =>
    describeStep(step, {
      names,
      scenario: { accessMode: "ReadWriteOnce" },
      storage: { className: "amc-block" },
      nodes,
    });
  const cross: NodeChoice = { first: "amc-node-a1", second: "amc-node-a2", reason: "same zone" };

  it("says every step kind as a person would", () => {
    const said: [Step, string][] = [
      [{ do: "claim" }, "create PVC rwo-pvc-03d05d (ReadWriteOnce, class amc-block)"],
      [{ do: "pod", pod: "a", node: "first" }, "place pod-a on amc-node-a1"],
      [{ do: "pod", pod: "b", node: "second" }, "place pod-b on amc-node-a2"],
      [{ do: "pod", pod: "a", node: "first", priority: "low" }, "place pod-a (low priority) on amc-node-a1"],
      [
        { do: "pod", pod: "b", node: "first", bypassScheduler: true },
        "place pod-b on amc-node-a1 with spec.nodeName, bypassing the scheduler",
      ],
      [{ do: "admitted", pod: "a" }, "wait for pod-a to be admitted"],
      [{ do: "decide", pod: "b" }, "wait for the control plane's decision on pod-b"],
      [{ do: "write-token", pod: "a" }, "write a token to the volume from pod-a"],
      [{ do: "read-token", pod: "b" }, "read the token back from pod-b"],
      [{ do: "hand-over", from: "a", to: "b" }, "delete pod-a and wait for the volume to reach pod-b's node"],
      [
        { do: "preempt", holder: "a", by: "b" },
        "place pod-b (high priority) and wait for it to preempt pod-a",
      ],
      [
        { do: "neighbour" },
        "in a second namespace, create a claim also named rwo-pvc-03d05d and its holder (low priority) on amc-node-a1",
      ],
      [
        { do: "workload", kind: "deployment", strategy: "no-surge" },
        "create a Deployment of one replica (strategy RollingUpdate, maxSurge 0, maxUnavailable 1) on amc-node-a1 and wait for its pod",
      ],
      [
        { do: "workload", kind: "statefulset" },
        "create a StatefulSet of one replica on amc-node-a1 and wait for its pod",
      ],
      [
        { do: "roll", to: "second" },
        "change its pod template so that the next pod runs on amc-node-a2, and wait for the rollout to complete or stall",
      ],
      [
        { do: "seed" },
        "fill a volume of class amc-block through a ReadWriteOnce claim, then re-bind it to PVC rwo-pvc-03d05d (ReadWriteOnce)",
      ],
      [
        { do: "pod", pod: "b", node: "second", readOnly: true },
        "place pod-b, its claim readOnly, on amc-node-a2",
      ],
      [{ do: "read-seed" }, "read the data written before the re-binding from the pods the volume reached"],
      [
        { do: "zone-down", holder: "a", by: "b" },
        "take amc-node-a1's zone down (NoSchedule on its nodes), delete pod-a, place pod-b on any node and wait for the decision",
      ],
      [
        { do: "write-attempt", readOnly: false },
        "try to write to the volume (the pods mounted it without readOnly)",
      ],
    ];
    for (const [step, text] of said) expect(wording(step, cross)).toBe(text);
    const kinds = new Set(allScenarios.flatMap((s) => s.steps.map((step) => step.do)));
    expect(new Set(said.map(([step]) => step.do))).toEqual(kinds);
  });

  it("cannot place a pod before the nodes are chosen", () => {
    expect(() => wording({ do: "pod", pod: "a", node: "first" })).toThrow("no first node chosen");
    expect(() => wording({ do: "pod", pod: "b", node: "second" }, { first: "n1", reason: "one" })).toThrow(
      "no second node chosen",
    );
    expect(wording({ do: "claim" })).toBe("create PVC rwo-pvc-03d05d (ReadWriteOnce, class amc-block)");
  });

  it("names the chosen nodes by slot", () => {
    expect(nodeFor(cross, "first")).toBe("amc-node-a1");
    expect(nodeFor(cross, "second")).toBe("amc-node-a2");
  });
});
