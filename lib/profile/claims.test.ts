import { describe, expect, it } from "vitest";
import { buildCertification } from "../report/certification.ts";
import type { ClaimResult } from "../report/document.ts";
import type { RunPlan } from "../report/plan.ts";
import { recordedEnd, recordedPlan, recordedRecords } from "../report/testdata/fixture.ts";
import type { ScenarioRecord } from "../scenario/types.ts";
import { claimTable, evaluateClaims } from "./claims.ts";
import { loadProfile } from "./load-profile.ts";
import type { StorageClassClaims, StoredProfile } from "./profile.ts";

/** Claims checked against the verdicts of a whole recorded run on the local cluster (lib/report/testdata/run). */

const local = await loadProfile("profiles/local.yaml");

function profileWith(...classes: StorageClassClaims[]): StoredProfile {
  return {
    file: "test.yaml",
    sha256: "0".repeat(64),
    profile: {
      profile: "access-mode-conformance/profile@1",
      driver: { name: "test" },
      storageClasses: classes,
    },
  };
}

function claimsOf(
  profile: StoredProfile,
  records: readonly ScenarioRecord[] = recordedRecords,
  plan: RunPlan = recordedPlan,
  status: "complete" | "interrupted" = "complete",
): ClaimResult[] {
  const cert = buildCertification(plan, records, { finishedAt: recordedEnd.finishedAt, status });
  return evaluateClaims(profile, cert).results;
}

const statusById = (claims: ClaimResult[]) => Object.fromEntries(claims.map((c) => [c.id, c.status]));

describe("the local profile against a recorded run", () => {
  const claims = claimsOf(local);

  it("holds every claim but amc-shared's naive RWO claim, which the admitted second pod breaks", () => {
    expect(statusById(claims)).toEqual({
      "amc-block/provisioner": "held",
      "amc-block/access-mode/ReadWriteOnce": "held",
      "amc-block/access-mode/ReadWriteOncePod": "held",
      "amc-block/access-mode/ReadWriteMany": "held",
      "amc-block/rwo-cross-node": "held",
      "amc-block/handoff-budget": "held",
      "amc-local/provisioner": "held",
      "amc-local/access-mode/ReadWriteOnce": "held",
      "amc-local/access-mode/ReadWriteOncePod": "held",
      "amc-local/access-mode/ReadWriteMany": "held",
      "amc-local/rwo-cross-node": "held",
      "amc-shared/provisioner": "held",
      "amc-shared/access-mode/ReadWriteOnce": "held",
      "amc-shared/access-mode/ReadWriteOncePod": "held",
      "amc-shared/access-mode/ReadWriteMany": "held",
      "amc-shared/rwo-cross-node": "broken",
    });
  });

  it("shows the evidence the broken claim rests on", () => {
    const broken = claims.find((c) => c.id === "amc-shared/rwo-cross-node");
    expect(broken?.decidedBy).toEqual({ scenarios: ["rwo-cross-node"], fields: ["observed.outcome"] });
    expect(broken?.evidence).toEqual([
      expect.objectContaining({
        scenario: "rwo-cross-node",
        storageClass: "amc-shared",
        judgement: "contradicts",
        verdict: "finding",
        outcome: "admitted",
      }),
    ]);
    expect(broken?.reason).toMatch(
      /^rwo-cross-node @ amc-shared: expected blocked by Multi-Attach, observed admitted: /,
    );
  });

  it("rests the held attach-exclusive claim on the Multi-Attach event", () => {
    const held = claims.find((c) => c.id === "amc-block/rwo-cross-node");
    expect(held?.evidence[0]?.decidedBy).toMatchObject({
      reason: "FailedAttachVolume",
      source: "attachdetach-controller",
      message: expect.stringMatching(/^Multi-Attach error for volume/),
    });
  });

  it("names the RWOP scenario that could not decide on simulated nodes", () => {
    const rwop = claims.find((c) => c.id === "amc-block/access-mode/ReadWriteOncePod");
    expect(rwop?.reason).toContain("not deciding: rwop-kubelet-guard @ amc-block (not-applicable)");
    expect(rwop?.evidence.map((e) => [e.scenario, e.judgement])).toEqual([
      ["rwop-same-node", "agrees"],
      ["rwop-cross-node", "agrees"],
      ["rwop-preemption", "agrees"],
      ["rwop-kubelet-guard", "undecided"],
    ]);
  });

  it("decides an unsupported mode from the provisioner's refusal", () => {
    const rwx = claims.find((c) => c.id === "amc-block/access-mode/ReadWriteMany");
    expect(rwx?.claim).toBe("does not offer ReadWriteMany: the provisioner refuses it");
    expect(rwx?.reason).toBe("rwx-cross-node @ amc-block: the provisioner refused ReadWriteMany");
  });
});

describe("claims", () => {
  it("holds the honest claim for NFS-like storage: RWO not enforced across nodes", () => {
    const shared = profileWith({
      name: "amc-shared",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"],
      rwoCrossNode: "not-enforced",
    });
    expect(statusById(claimsOf(shared))["amc-shared/rwo-cross-node"]).toBe("held");
  });

  it("breaks a claim of unsupported modes the class provisions, and of supported ones it refuses", () => {
    const wrong = profileWith({
      name: "amc-local",
      accessModes: ["ReadWriteMany"],
      rwoCrossNode: "node-local",
    });
    const status = statusById(claimsOf(wrong));
    expect(status["amc-local/access-mode/ReadWriteOnce"]).toBe("broken");
    expect(status["amc-local/access-mode/ReadWriteOncePod"]).toBe("broken");
    expect(status["amc-local/access-mode/ReadWriteMany"]).toBe("broken");
  });

  it("breaks a handoff budget the measured handoff exceeds, and a provisioner the class does not have", () => {
    const tight = profileWith({
      name: "amc-block",
      provisioner: "ebs.csi.aws.com",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      rwoCrossNode: "attach-exclusive",
      handoffBudget: "1s",
    });
    const claims = claimsOf(tight);
    const handoff = claims.find((c) => c.id === "amc-block/handoff-budget");
    expect(handoff?.status).toBe("broken");
    expect(handoff?.reason).toBe("rwo-handoff @ amc-block: handed over in 3294 ms, over the budget of 1s");
    expect(claims.find((c) => c.id === "amc-block/provisioner")).toMatchObject({
      status: "broken",
      reason: "the StorageClass's provisioner is amc-block.csi.test",
    });
  });

  it("does not check what the run did not reach, and says why", () => {
    // Interrupted after the ReadWriteOnce scenarios: RWOP and RWX never ran.
    const claims = claimsOf(
      local,
      recordedRecords.filter((r) => r.accessMode === "ReadWriteOnce"),
      recordedPlan,
      "interrupted",
    );
    const rwop = claims.find((c) => c.id === "amc-block/access-mode/ReadWriteOncePod");
    expect(rwop?.status).toBe("not-checked");
    expect(rwop?.reason).toContain("rwop-same-node @ amc-block: not run: the run was interrupted before it");
    expect(statusById(claims)["amc-shared/rwo-cross-node"]).toBe("broken");
  });

  it("does not check claims whose scenarios were left out of the plan, or classes not tested", () => {
    const plan = {
      ...recordedPlan,
      scenarios: recordedPlan.scenarios.filter((s) => s.id === "rwo-cross-node"),
    };
    const records = recordedRecords.filter((r) => r.scenario === "rwo-cross-node");
    const profile = profileWith(
      { name: "amc-block", accessModes: ["ReadWriteOnce"], rwoCrossNode: "attach-exclusive" },
      { name: "gp3", accessModes: ["ReadWriteOnce"], rwoCrossNode: "attach-exclusive" },
    );
    const status = statusById(claimsOf(profile, records, plan));
    expect(status["amc-block/rwo-cross-node"]).toBe("held");
    expect(status["amc-block/access-mode/ReadWriteOnce"]).toBe("not-checked");
    expect(
      claimsOf(profile, records, plan).find((c) => c.id === "amc-block/access-mode/ReadWriteOnce")?.reason,
    ).toBe("rwo-same-node @ amc-block: not in this run's plan (left out with --scenario)");
    expect(status["gp3/rwo-cross-node"]).toBe("not-checked");
  });

  it("maps every claim to the scenarios the suite has", () => {
    const modes = claimTable["access-mode"];
    expect(Object.keys(modes)).toEqual(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]);
    const deciders = [
      ...Object.values(modes).flatMap((m) => m.deciders),
      ...claimTable["rwo-cross-node"].deciders,
      ...claimTable["handoff-budget"].deciders,
    ].map((d) => d.scenario);
    expect(new Set(deciders)).toEqual(new Set(recordedPlan.scenarios.map((s) => s.id)));
  });
});
