import { describe, expect, it } from "vitest";
import { decide } from "./classify.ts";
import { observe, plannedProfile, recording, scenarioOf } from "./testdata/recordings.ts";
import type { StorageProfile } from "./types.ts";
import { judge } from "./verdict.ts";

/**
 * The zone scenarios on objects and events recorded from the local cluster
 * (testdata/*.json: `kubectl get -o json` of a scenario's namespace and the
 * VolumeAttachments after the control plane decided; amc-node-a1 and
 * amc-node-a2 in amc-zone-a, amc-node-b1 in amc-zone-b):
 * - cross-zone-zonal: an RWO claim of amc-zonal, pod-a on amc-node-a1, pod-b
 *   on amc-node-b1 (nodeSelector);
 * - zone-down-zonal: the same claim; amc-zone-a's nodes tainted NoSchedule,
 *   pod-a deleted, pod-b placed on any of the three nodes (node affinity);
 * - zone-down-block: the same on amc-block (not zonal).
 */

const zonal: StorageProfile = {
  ...plannedProfile("amc-block"),
  className: "amc-zonal",
  provisioner: "amc-zonal.csi.test",
  volumeBindingMode: "WaitForFirstConsumer",
  zoneKey: "topology.amc-zonal.csi.test/zone",
};

describe("decide: a pod in another zone than its zonal volume", () => {
  const r = recording("cross-zone-zonal");

  it("is refused by the scheduler for the volume's zone (its node affinity), not by Multi-Attach", () => {
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("node-affinity-conflict");
    expect(decision?.event?.reason).toBe("FailedScheduling");
    expect(decision?.event?.message).toMatch(
      /^0\/3 nodes are available: 1 node\(s\) didn't match PersistentVolume's node affinity, 2 node\(s\) didn't match Pod's node affinity\/selector\./,
    );
    expect(r.attachments.map((va) => va.spec.nodeName)).toEqual(["amc-node-a1"]);
  });

  it("conforms on zonal storage, and deviates from what the same storage without zones predicts", () => {
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    const scenario = scenarioOf("rwo-cross-zone");
    expect(judge(scenario.expect(zonal), decision).verdict).toBe("conforms");
    const block = scenario.expect(plannedProfile("amc-block"));
    expect(block).toMatchObject({ outcome: "multi-attach-blocked" });
    expect(judge(block, decision).verdict).toBe("deviates");
  });
});

describe("decide: the replacement of a pod whose zone went down", () => {
  it("on zonal storage: refused everywhere (the taint in its zone, the volume's zone elsewhere), a finding", () => {
    const r = recording("zone-down-zonal");
    expect(r.pods.map((p) => p.metadata?.name)).toEqual(["pod-b"]);
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("node-affinity-conflict");
    expect(decision?.event?.message).toMatch(
      /^0\/3 nodes are available: 1 node\(s\) didn't match PersistentVolume's node affinity, 2 node\(s\) had untolerated taint\(s\)\./,
    );
    const judged = judge(scenarioOf("rwo-zone-failover").expect(zonal), decision);
    expect(judged).toEqual({
      verdict: "finding",
      reason:
        "no zone failover for amc-zonal: a pod whose zone is down cannot use its volume in another zone",
    });
  });

  it("on storage that is not zonal: admitted in the other zone, its volume attached there", () => {
    const r = recording("zone-down-block");
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(decision).toEqual({
      outcome: "admitted",
      summary: "pod-b was admitted on amc-node-b1 (scheduled, and its volume attached where needed)",
    });
    expect(r.attachments.map((va) => [va.spec.nodeName, va.status?.attached])).toEqual([
      ["amc-node-b1", true],
    ]);
    expect(judge(scenarioOf("rwo-zone-failover").expect(plannedProfile("amc-block")), decision).verdict).toBe(
      "conforms",
    );
    // The same replacement on zonal storage would be a deviation: its volume followed it out of its zone.
    expect(judge(scenarioOf("rwo-zone-failover").expect(zonal), decision).verdict).toBe("deviates");
  });

  it("is undecided while the replacement is not attached yet", () => {
    const r = recording("zone-down-block");
    const pending = {
      ...r,
      attachments: r.attachments.map((va) => ({ ...va, status: { attached: false } })),
    };
    expect(decide(observe(pending, { attachRequired: true }), "pod-b", "pod-a")).toBeUndefined();
  });
});

describe("expectations of the zone scenarios, by class", () => {
  const expectation = (id: string, className: string) => scenarioOf(id).expect(plannedProfile(className));

  it("rwo-zone-failover: node-local storage cannot fail over (a finding), shared storage can", () => {
    expect(expectation("rwo-zone-failover", "amc-local")).toMatchObject({
      outcome: "node-affinity-conflict",
      finding:
        "no zone failover for amc-local: a pod whose zone is down cannot use its volume in another zone",
    });
    expect(expectation("rwo-zone-failover", "amc-shared")).toEqual({
      outcome: "admitted",
      because: expect.any(String),
    });
  });

  it("rwo-cross-zone: storage that is not zonal is decided as rwo-cross-node", () => {
    for (const className of ["amc-block", "amc-local", "amc-shared"]) {
      expect(expectation("rwo-cross-zone", className)).toEqual(expectation("rwo-cross-node", className));
    }
  });
});
