import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { recordedPlan, recordedRecords } from "../report/testdata/fixture.ts";
import { dataSharedCheck, podBStuckCheck, podBStuckNotApplicable } from "./checks.ts";
import { decide } from "./classify.ts";
import type { NodePool } from "./nodes.ts";
import { timeoutReason } from "./record.ts";
import {
  containerCreating,
  observe,
  plannedProfile,
  podOf,
  recording,
  scenarioOf,
} from "./testdata/recordings.ts";
import type { Check, ScenarioRecord } from "./types.ts";
import { finalVerdict, runsSteps, scenarioGate, withKubeletChecks } from "./verdict.ts";

/**
 * The verdict rules on the records of a real run on the local cluster
 * (lib/report/testdata/run: plan and records as written) and on cluster
 * objects recorded there (testdata/*.json).
 */

const scenario = scenarioOf;
const profile = plannedProfile;
const record = (key: string): ScenarioRecord => {
  const found = recordedRecords.find((r) => `${r.scenario}@${r.storageClass}` === key);
  if (!found) throw new Error(`no recorded record ${key}`);
  return found;
};

/** The run's pool, as its plan recorded it. */
const recordedPool: Pick<NodePool, "nodes" | "named" | "excluded"> = {
  nodes: recordedPlan.schedulableNodes,
  excluded: recordedPlan.excludedNodes,
  named: false,
};

/** What the run established for a record, recomputed from the scenario, the plan and what the record observed. */
function recomputed(r: ScenarioRecord) {
  const s = scenario(r.scenario);
  const expectation = s.expect(profile(r.storageClass));
  const gate = scenarioGate(s, r.cluster.fidelity, recordedPool);
  return { expectation, gate, checks: r.checks, ...(r.observed ? { observed: r.observed } : {}) };
}

describe("the verdicts of a recorded run, rebuilt from what each record expected and observed", () => {
  const observedRecords = recordedRecords.filter((r) => r.observed);

  it("covers the decided records of the run (17 of them)", () => {
    expect(observedRecords).toHaveLength(17);
  });

  for (const r of observedRecords) {
    it(`${r.scenario}@${r.storageClass}: ${r.verdict}`, () => {
      const facts = recomputed(r);
      expect(facts.gate).toBeUndefined();
      expect("outcome" in facts.expectation ? facts.expectation : undefined).toEqual(r.expected);
      expect(finalVerdict(facts)).toEqual({ verdict: r.verdict, reason: r.reason });
    });
  }

  it("gates rwop-kubelet-guard on simulated nodes before anything runs, whatever the class expects", () => {
    for (const className of ["amc-block", "amc-local", "amc-shared"]) {
      const r = record(`rwop-kubelet-guard@${className}`);
      const facts = recomputed(r);
      expect(facts.gate).toBe(scenario("rwop-kubelet-guard").needsKubelet);
      expect(runsSteps(facts.gate, facts.expectation)).toBe(false);
      expect(finalVerdict(facts)).toEqual({ verdict: r.verdict, reason: r.reason });
      expect(r.verdict).toBe("not-applicable");
    }
  });

  it("calls rwo-handoff not applicable on storage that is not attachable, from the expectation alone", () => {
    for (const className of ["amc-local", "amc-shared"]) {
      const r = record(`rwo-handoff@${className}`);
      const facts = recomputed(r);
      expect(facts.gate).toBeUndefined();
      expect(runsSteps(facts.gate, facts.expectation)).toBe(false);
      expect(finalVerdict(facts)).toEqual({ verdict: "not-applicable", reason: r.reason });
    }
  });

  it("takes the not-applicable a step raised (a class refusing ReadWriteMany) as the verdict", () => {
    for (const className of ["amc-block", "amc-local"]) {
      const r = record(`rwx-cross-node@${className}`);
      const facts = recomputed(r);
      expect(runsSteps(facts.gate, facts.expectation)).toBe(true);
      expect(r.observed).toBeUndefined();
      // The claim step's refusal, as the record kept it.
      const raised = r.reason;
      expect(raised).toMatch(new RegExp(`^${className} cannot provision ReadWriteMany: `));
      expect(finalVerdict({ ...facts, notApplicable: raised })).toEqual({
        verdict: "not-applicable",
        reason: raised,
      });
      // Without it the same facts have no decisive evidence.
      expect(finalVerdict(facts)).toEqual({ verdict: "inconclusive", reason: "no decisive evidence" });
    }
  });
});

describe("the kubelet-level checks", () => {
  const blocked = record("rwo-cross-node@amc-block");
  const crossBlock = recording("rwo-cross-block");
  // kwok marks every pod Running: on real kubelets, a pod B seen so would have its volume mounted.
  const runningPodB = podBStuckCheck(podOf(crossBlock, "pod-b"));
  const stuckPodB = podBStuckCheck(containerCreating(podOf(crossBlock, "pod-b")));

  it("turn a conforming verdict into a deviation when one failed, with the check as the reason", () => {
    expect(runningPodB.status).toBe("failed");
    const verdict = finalVerdict({ ...recomputed(blocked), checks: [runningPodB] });
    expect(verdict).toEqual({
      verdict: "deviates",
      reason:
        "pod B is stuck in ContainerCreating while the volume is attached elsewhere: no, pod B is Running",
    });
  });

  it("turn a finding into a deviation too", () => {
    const finding = record("rwo-cross-node@amc-shared");
    expect(finding.verdict).toBe("finding");
    const unshared = dataSharedCheck("0123456789abcdef", { stdout: "", stderr: "cat: can't open" });
    const verdict = finalVerdict({ ...recomputed(finding), checks: [unshared] });
    expect(verdict).toEqual({
      verdict: "deviates",
      reason: `pod B reads what pod A wrote to the volume: no, pod B read "" cat: can't open`,
    });
  });

  it("leave the verdict alone when they passed, did not apply or stayed inconclusive", () => {
    const inconclusive = podBStuckCheck(undefined);
    const notApplicable = podBStuckNotApplicable("control-plane") as Check;
    for (const check of [stuckPodB, inconclusive, notApplicable]) {
      expect(finalVerdict({ ...recomputed(blocked), checks: [check] })).toEqual({
        verdict: "conforms",
        reason: blocked.reason,
      });
    }
  });

  it("do not override a verdict the control plane did not earn", () => {
    for (const judged of [
      { verdict: "deviates" as const, reason: "expected x, observed y" },
      { verdict: "inconclusive" as const, reason: "timed out" },
      { verdict: "not-applicable" as const, reason: "gated" },
    ]) {
      expect(withKubeletChecks(judged, [runningPodB])).toEqual(judged);
    }
  });

  it("name the first failed check", () => {
    const unshared = dataSharedCheck("t", { stdout: "u", stderr: "" });
    expect(
      withKubeletChecks({ verdict: "conforms", reason: "ok" }, [stuckPodB, unshared, runningPodB]),
    ).toEqual({
      verdict: "deviates",
      reason: 'pod B reads what pod A wrote to the volume: no, pod B read "u" ',
    });
  });
});

describe("gates", () => {
  const crossNode = scenario("rwo-cross-node");
  const onePool = {
    nodes: [{ name: "amc-node-a1", zone: "amc-zone-a" }],
    excluded: [
      { name: "amc-node-a2", why: "cordoned" },
      { name: "amc-node-b1", why: "cordoned" },
    ],
    named: false,
  };

  it("need real kubelets for a scenario that says so, with its reason", () => {
    const guard = scenario("rwop-kubelet-guard");
    expect(scenarioGate(guard, "control-plane", recordedPool)).toBe(
      "the kubelet's own ReadWriteOncePod check needs real kubelets; the cluster's nodes are simulated",
    );
    expect(scenarioGate(guard, "full", recordedPool)).toBeUndefined();
  });

  it("need two nodes for a cross-node scenario, naming the nodes left out", () => {
    const gate = scenarioGate(crossNode, "control-plane", onePool);
    expect(gate).toBe(
      "the cluster has one schedulable node (amc-node-a1); a cross-node scenario needs two; left out: amc-node-a2 (cordoned), amc-node-b1 (cordoned)",
    );
    expect(scenarioGate(scenario("rwo-same-node"), "control-plane", onePool)).toBeUndefined();
    expect(scenarioGate(crossNode, "control-plane", { ...onePool, named: true })).toBe(
      "AMC_NODES names one node (amc-node-a1); a cross-node scenario needs two",
    );
  });

  it("make the verdict not applicable with the gate's reason, before the expectation's own", () => {
    const handoff = scenario("rwo-handoff");
    const gate = scenarioGate(handoff, "control-plane", onePool);
    const expectation = handoff.expect(profile("amc-shared"));
    expect(expectation).toHaveProperty("notApplicable");
    expect(finalVerdict({ gate, expectation, checks: [] })).toEqual({
      verdict: "not-applicable",
      reason: gate,
    });
  });

  it("stop the steps, as an expectation that is no outcome does", () => {
    const expectation = crossNode.expect(profile("amc-block"));
    expect(runsSteps(undefined, expectation)).toBe(true);
    expect(runsSteps("gated", expectation)).toBe(false);
    expect(runsSteps(undefined, { inconclusive: "unknown family" })).toBe(false);
    expect(runsSteps(undefined, { notApplicable: "not attachable" })).toBe(false);
  });
});

describe("a run that failed or did not decide", () => {
  const blocked = record("rwo-cross-node@amc-block");

  it("is inconclusive with the failure's message, whatever was observed", () => {
    const verdict = finalVerdict({ ...recomputed(blocked), failure: new Error("socket hang up") });
    expect(verdict).toEqual({ verdict: "inconclusive", reason: "the run failed: socket hang up" });
  });

  it("says what the API server answered when it was an API error", () => {
    const conflict = new ApiException(409, "Conflict", { message: 'namespaces "amc-x" already exists' }, {});
    expect(finalVerdict({ ...recomputed(blocked), failure: conflict }).reason).toBe(
      'the run failed: HTTP 409: namespaces "amc-x" already exists',
    );
  });

  it("is not applicable rather than failed when a step found the scenario cannot apply", () => {
    const verdict = finalVerdict({
      ...recomputed(blocked),
      notApplicable: "no schedulable node can reach the volume",
      failure: new Error("later"),
    });
    expect(verdict).toEqual({
      verdict: "not-applicable",
      reason: "no schedulable node can reach the volume",
    });
  });

  it("is inconclusive on a timeout, keeping the states last seen and what an earlier step observed", () => {
    const handoff = record("rwo-handoff@amc-block");
    const r = recording("rwo-cross-block");
    const earlier = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    const undecided = timeoutReason(
      "timed out after 480000 ms waiting for the volume to move from amc-node-a1 to pod-b's node",
      handoff.evidence.objects.slice(0, 3),
    );
    const verdict = finalVerdict({ ...recomputed(handoff), observed: earlier, undecided, checks: [] });
    expect(verdict.verdict).toBe("inconclusive");
    expect(verdict.reason).toBe(
      `${undecided}; before that: blocked by Multi-Attach (the attach/detach controller blocked pod-b)`,
    );
    expect(verdict.reason).toMatch(/; last seen: Pod pod-a: /);
  });

  it("is inconclusive on a timeout with nothing observed, with the timeout as the reason", () => {
    const verdict = finalVerdict({
      ...recomputed(blocked),
      observed: undefined,
      undecided: "timed out after 120000 ms waiting for the control plane's decision on pod-b",
      checks: [],
    });
    expect(verdict).toEqual({
      verdict: "inconclusive",
      reason: "timed out after 120000 ms waiting for the control plane's decision on pod-b",
    });
  });

  it("deviates when the observation is not the expected one, saying both", () => {
    const verdict = finalVerdict({
      ...recomputed(blocked),
      observed: record("rwo-cross-node@amc-shared").observed,
    });
    expect(verdict.verdict).toBe("deviates");
    expect(verdict.reason).toMatch(
      /^expected blocked by Multi-Attach \(the attach\/detach controller .*\), observed admitted: pod-b was admitted on amc-node-a2/,
    );
  });
});
