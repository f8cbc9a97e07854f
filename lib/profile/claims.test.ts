import { describe, expect, it } from "vitest";
import { buildCertification } from "../report/certification.ts";
import type { Certification, CertificationResult, ClaimResult } from "../report/document.ts";
import type { RunPlan } from "../report/plan.ts";
import {
  kindAccessSpace,
  kindFailover,
  kindWorkloads,
  kindZones,
  localFailover,
  recordedEnd,
  recordedPlan,
  recordedRecords,
} from "../report/testdata/fixture.ts";
import { allScenarios } from "../scenario/scenarios.ts";
import type { Outcome, ScenarioId, ScenarioRecord, Verdict } from "../scenario/types.ts";
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
      // This run left the node-failure scenarios out.
      "amc-block/failover/force-delete": "not-checked",
      "amc-block/failover/out-of-service": "not-checked",
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
      "amc-shared/failover/force-delete": "not-checked",
      "amc-shared/failover/out-of-service": "not-checked",
      // This run predates the zones family, and the zonal class.
      "amc-block/zone-failover": "not-checked",
      "amc-local/zone-failover": "not-checked",
      "amc-shared/zone-failover": "not-checked",
      "amc-zonal/provisioner": "not-checked",
      "amc-zonal/access-mode/ReadWriteOnce": "not-checked",
      "amc-zonal/access-mode/ReadWriteOncePod": "not-checked",
      "amc-zonal/access-mode/ReadWriteMany": "not-checked",
      "amc-zonal/access-mode/ReadOnlyMany": "not-checked",
      "amc-zonal/rwo-cross-node": "not-checked",
      "amc-zonal/handoff-budget": "not-checked",
      "amc-zonal/zone-failover": "not-checked",
    });
    expect(claims.find((c) => c.id === "amc-zonal/zone-failover")?.reason).toBe(
      "the run did not test amc-zonal",
    );
    expect(claims.find((c) => c.id === "amc-block/zone-failover")?.reason).toBe(
      "rwo-zone-failover @ amc-block: not in this run's plan (left out with --scenario)",
    );
  });

  it("shows the evidence the broken claim rests on", () => {
    const broken = claims.find((c) => c.id === "amc-shared/rwo-cross-node");
    expect(broken?.decidedBy).toEqual({
      scenarios: ["rwo-cross-node", "rwo-cross-node-block"],
      fields: ["observed.outcome"],
    });
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
    expect(Object.keys(modes)).toEqual([
      "ReadWriteOnce",
      "ReadWriteOncePod",
      "ReadWriteMany",
      "ReadOnlyMany",
    ]);
    const deciders = [
      ...Object.values(modes).flatMap((m) => m.deciders),
      ...claimTable["rwo-cross-node"].deciders,
      ...claimTable["handoff-budget"].deciders,
      ...Object.values(claimTable["failover-budget"].deciders).flat(),
      ...claimTable.fencing.deciders,
      ...Object.values(claimTable.rollout.deciders).flat(),
      ...Object.values(claimTable["read-only-many"].deciders).flat(),
      ...claimTable["zone-failover"].deciders,
    ].map((d) => d.scenario);
    // The raw block twins decide the access-mode claims of blockAccessModes, by their base scenario's rule.
    const blockTwins = Object.values(modes)
      .flatMap((m) => m.deciders)
      .map((d) => `${d.scenario}-block`)
      .filter((id) => allScenarios.some((s) => s.id === id));
    // A scenario about the control plane decides no claim about the storage; nor do the mixed-mode
    // scenarios, which show what Kubernetes and CSI make of a claim's modes, not what a vendor offers.
    const aboutStorage = allScenarios.filter(
      (s) => s.subject !== "control-plane" && s.family !== "mixed-modes",
    );
    expect(new Set([...deciders, ...blockTwins])).toEqual(new Set(aboutStorage.map((s) => s.id)));
    expect(allScenarios.filter((s) => s.failover).map((s) => s.failover?.path)).toEqual(
      Object.keys(claimTable["failover-budget"].deciders),
    );
  });
});

/** Failover and fencing claims against recorded runs of the node-failure scenarios (both fault modes). */
describe("failover and fencing claims", () => {
  const kindClaims = (profile: StoredProfile, records: readonly ScenarioRecord[] = kindFailover.records) =>
    claimsOf(profile, records, kindFailover.plan);
  const block = (claims: Partial<StorageClassClaims>): StorageClassClaims => ({
    name: "amc-block",
    accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
    rwoCrossNode: "attach-exclusive",
    ...claims,
  });

  it("holds the kind profile's budgets on every fault mode, and claims no fencing", async () => {
    const claims = kindClaims(await loadProfile("profiles/kind.yaml"));
    const failover = claims.filter((c) => c.kind === "failover-budget" || c.kind === "fencing");
    expect(Object.fromEntries(failover.map((c) => [c.id, c.status]))).toEqual({
      "amc-block/failover/force-delete": "held",
      "amc-block/failover/out-of-service": "held",
      "amc-shared/failover/force-delete": "held",
      "amc-shared/failover/out-of-service": "held",
    });
    const forceDelete = claims.find((c) => c.id === "amc-block/failover/force-delete");
    expect(forceDelete?.claim).toBe(
      "fails over within 9m of its node's failure when the operator force-deletes the old pod",
    );
    expect(forceDelete?.decidedBy).toEqual({
      scenarios: ["rwo-node-loss-force-delete"],
      fields: ["failover.recovered", "failover.totalMs", "failover.budgetMs"],
    });
    expect(forceDelete?.evidence.map((e) => [e.faultMode, e.judgement, e.failoverMs])).toEqual([
      ["kubelet-stopped", "agrees", 422136],
      ["powered-off", "agrees", 419475],
    ]);
    expect(forceDelete?.reason).toBe(
      "rwo-node-loss-force-delete @ amc-block (kubelet-stopped): writing on amc-dev-worker2 422.1 s after the fault, within 9m; rwo-node-loss-force-delete @ amc-block (powered-off): writing on amc-dev-worker2 419.5 s after the fault, within 9m",
    );
  });

  it("holds the local profile's budgets on simulated nodes, where the force-delete path detaches at once", async () => {
    const profile = await loadProfile("profiles/local.yaml");
    // The local cluster cannot power a node off: the recorded run's powered-off cases are not
    // applicable and say nothing of the budgets, which the kubelet-stopped cases decide.
    expect(
      localFailover.records.filter((r) => r.failover?.mode === "powered-off").map((r) => r.verdict),
    ).toEqual(Array(9).fill("not-applicable"));
    const claims = claimsOf(profile, localFailover.records, localFailover.plan);
    const forceDelete = claims.find((c) => c.id === "amc-block/failover/force-delete");
    expect(forceDelete?.status).toBe("held");
    expect(forceDelete?.reason).toBe(
      "rwo-node-loss-force-delete @ amc-block (kubelet-stopped): running on amc-node-a2 63.6 s after the fault, within 2m",
    );
    expect(claims.filter((c) => c.kind === "failover-budget").map((c) => c.status)).toEqual([
      "held",
      "held",
      "held",
      "held",
    ]);
  });

  it("breaks a budget the measured time exceeds, with the time as evidence", () => {
    const claims = kindClaims(
      profileWith(block({ failover: { "out-of-service": "60s" }, fencing: "not-required" })),
    );
    const tight = claims.find((c) => c.id === "amc-block/failover/out-of-service");
    expect(tight?.status).toBe("broken");
    // Only the powered-off run took longer than 60 s (the kubelet-stopped one: 55.6 s).
    expect(tight?.reason).toBe(
      "rwo-node-out-of-service @ amc-block (powered-off): writing on amc-dev-worker2 65.6 s after the fault, over the budget of 60s",
    );
    expect(tight?.evidence.map((e) => [e.faultMode, e.judgement])).toEqual([
      ["kubelet-stopped", "agrees"],
      ["powered-off", "contradicts"],
    ]);
  });

  it("breaks a budget on a path that never recovered once the run waited longer than it", () => {
    // The run waited 120 s on this path.
    const claims = kindClaims(profileWith(block({ failover: { none: "90s" }, fencing: "not-required" })));
    const none = claims.find((c) => c.id === "amc-block/failover/none");
    expect(none?.status).toBe("broken");
    expect(none?.reason).toMatch(
      /^rwo-node-loss @ amc-block \(kubelet-stopped\): not writing on another node 120\.0 s after the fault, when the run stopped waiting: over the budget of 90s \(the replacement writer-\S+ did not run elsewhere within 120 s of its path's start \(FailedAttachVolume: Multi-Attach error for volume "pvc-/,
    );
    // A longer budget than the run waited for is not decided by it.
    const longer = kindClaims(profileWith(block({ failover: { none: "10m" }, fencing: "not-required" })));
    const undecided = longer.find((c) => c.id === "amc-block/failover/none");
    expect(undecided?.status).toBe("not-checked");
    expect(undecided?.reason).toContain(
      "within the budget of 10m: the run gave the path less time than the claim",
    );
  });

  it("breaks a fencing claim on the runs where the old node kept writing", () => {
    const claims = kindClaims(profileWith(block({ fencing: "required" })));
    const fencing = claims.find((c) => c.id === "amc-block/fencing");
    expect(fencing?.status).toBe("broken");
    expect(fencing?.decidedBy.fields).toEqual(["failover.fencing.status"]);
    const contradicting = fencing?.evidence.filter((e) => e.judgement === "contradicts") ?? [];
    expect(contradicting.map((e) => `${e.scenario} ${e.faultMode} ${e.fencing}`)).toEqual([
      "rwo-node-loss-force-delete kubelet-stopped not-fenced",
      "rwo-node-out-of-service kubelet-stopped not-fenced",
    ]);
    expect(fencing?.reason).toMatch(
      /^rwo-node-loss-force-delete @ amc-block \(kubelet-stopped\): not fenced: the old node kept writing after the volume moved: \d+ line\(s\) of writer-/,
    );
  });

  it("holds a fencing claim when every run that tells was fenced, and checks none where nothing tells", () => {
    const fenced = kindFailover.records.map((r) =>
      r.failover?.fencing.status === "not-fenced"
        ? {
            ...r,
            failover: {
              ...r.failover,
              fencing: {
                status: "fenced" as const,
                detail:
                  "the old pod wrote nothing after the replacement's first write (11.2 s of the replacement writing)",
              },
            },
          }
        : r,
    );
    const held = kindClaims(profileWith(block({ fencing: "required" })), fenced).find(
      (c) => c.id === "amc-block/fencing",
    );
    expect(held?.status).toBe("held");
    expect(held?.reason).toContain("not deciding: rwo-node-loss @ amc-block (kubelet-stopped) (finding)");
    // Simulated nodes: no container writes, so no result answers the fencing question.
    const local = claimsOf(
      profileWith(block({ fencing: "required" })),
      localFailover.records,
      localFailover.plan,
    );
    const unknown = local.find((c) => c.id === "amc-block/fencing");
    expect(unknown?.status).toBe("not-checked");
    expect(unknown?.reason).toMatch(
      /^no result decided it: rwo-node-loss @ amc-block \(kubelet-stopped\): fencing not-applicable: the nodes are simulated: no container writes; /,
    );
  });

  it("does not check what the run left out, or a fault mode it did not reach", () => {
    const profile = profileWith(block({ failover: { "out-of-service": "3m" }, fencing: "required" }));
    const status = statusById(claimsOf(profile));
    expect(status["amc-block/failover/out-of-service"]).toBe("not-checked");
    expect(claimsOf(profile).find((c) => c.id === "amc-block/failover/out-of-service")?.reason).toBe(
      "rwo-node-out-of-service @ amc-block: not in this run's plan (left out with --scenario)",
    );
    expect(claimsOf(profile).find((c) => c.id === "amc-block/fencing")?.reason).toBe(
      "rwo-node-loss, rwo-node-loss-force-delete, rwo-node-out-of-service: not in this run's plan (left out with --scenario)",
    );
    const halfway = claimsOf(
      profile,
      kindFailover.records.filter((r) => r.failover?.mode === "powered-off"),
      kindFailover.plan,
      "interrupted",
    ).find((c) => c.id === "amc-block/failover/out-of-service");
    expect(halfway?.status).toBe("not-checked");
    expect(halfway?.reason).toBe(
      "rwo-node-out-of-service @ amc-block (kubelet-stopped): not run: the run was interrupted before it",
    );
  });
});

/** Rollout claims against the workloads family's recorded run on kind (lib/report/testdata/kind-workloads). */
describe("rollout claims", () => {
  const claims = (profile: StoredProfile) => claimsOf(profile, kindWorkloads.records, kindWorkloads.plan);

  it("hold what each strategy did, and break on a rollout that did otherwise", () => {
    const results = claims(
      profileWith(
        {
          name: "amc-block",
          accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
          rwoCrossNode: "attach-exclusive",
          rollout: {
            rollingUpdate: "stalls",
            noSurge: "completes",
            recreate: "completes",
            statefulSetMove: "completes",
          },
        },
        // Wrong on purpose: shared storage lets a rolling update run on two nodes at once.
        {
          name: "amc-shared",
          accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"],
          rwoCrossNode: "not-enforced",
          rollout: { rollingUpdate: "stalls", rwopRollingUpdate: "stalls" },
        },
      ),
    );
    const status = Object.fromEntries(
      results.filter((c) => c.kind === "rollout").map((c) => [c.id, c.status]),
    );
    expect(status).toEqual({
      "amc-block/rollout/rollingUpdate": "held",
      "amc-block/rollout/noSurge": "held",
      "amc-block/rollout/recreate": "held",
      "amc-block/rollout/statefulSetMove": "held",
      "amc-shared/rollout/rollingUpdate": "broken",
      "amc-shared/rollout/rwopRollingUpdate": "held",
    });
    const broken = results.find((c) => c.id === "amc-shared/rollout/rollingUpdate");
    expect(broken?.reason).toMatch(/expected the rollout stalled, observed the rollout completed/);
  });
});

/** ReadOnlyMany claims against the ReadOnlyMany and mixed-mode scenarios recorded on kind. */
describe("ReadOnlyMany claims", () => {
  const claims = (profile: StoredProfile) => claimsOf(profile, kindAccessSpace.records, kindAccessSpace.plan);

  it("hold what the write checks showed, and break on a claim that says otherwise", () => {
    const results = claims(
      profileWith(
        {
          name: "amc-block",
          accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany"],
          rwoCrossNode: "attach-exclusive",
          readOnlyMany: { readOnly: "enforced", withoutReadOnly: "writable" },
        },
        // Wrong on purpose: amc-shared mounts a ReadOnlyMany volume writable when readOnly is not asked for.
        {
          name: "amc-shared",
          accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"],
          rwoCrossNode: "not-enforced",
          readOnlyMany: { readOnly: "ignored", withoutReadOnly: "read-only" },
        },
      ),
    );
    const status = Object.fromEntries(
      results
        .filter((c) => c.kind === "read-only-many" || c.id.endsWith("/access-mode/ReadOnlyMany"))
        .map((c) => [c.id, c.status]),
    );
    expect(status).toEqual({
      "amc-block/access-mode/ReadOnlyMany": "held",
      "amc-block/read-only-many/readOnly": "held",
      "amc-block/read-only-many/withoutReadOnly": "held",
      "amc-shared/access-mode/ReadOnlyMany": "held",
      "amc-shared/read-only-many/readOnly": "broken",
      "amc-shared/read-only-many/withoutReadOnly": "broken",
    });
    const refused = results.find((c) => c.id === "amc-block/read-only-many/readOnly");
    expect(refused?.reason).toMatch(/Read-only file system/);
    const written = results.find((c) => c.id === "amc-shared/read-only-many/withoutReadOnly");
    expect(written?.reason).toMatch(/pod-b wrote to the ReadOnlyMany volume/);
  });

  it("claims nothing about ReadOnlyMany for a class that does not list it", () => {
    const results = claims(
      profileWith({ name: "amc-local", accessModes: ["ReadWriteOnce"], rwoCrossNode: "node-local" }),
    );
    expect(results.map((c) => c.id)).not.toContain("amc-local/access-mode/ReadOnlyMany");
    // Node affinity keeps pod B off the other node: what a node-local class's family predicts.
    const listed = claims(
      profileWith({
        name: "amc-local",
        accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
        rwoCrossNode: "node-local",
      }),
    );
    expect(listed.find((c) => c.id === "amc-local/access-mode/ReadOnlyMany")?.status).toBe("held");
  });
});

/** The kind profile's zone failover claims against the zones recorded on kind (5 classes, two zones). */
describe("zone failover claims on kind", () => {
  it("hold: none for the zonal and node-local classes, within the budget for the others", async () => {
    const claims = claimsOf(await loadProfile("profiles/kind.yaml"), kindZones.records, kindZones.plan);
    const zones = claims.filter((c) => c.kind === "zone-failover");
    expect(Object.fromEntries(zones.map((c) => [c.id, c.status]))).toEqual({
      "amc-block/zone-failover": "held",
      "amc-local/zone-failover": "held",
      "amc-shared/zone-failover": "held",
      "amc-zonal/zone-failover": "held",
      "standard/zone-failover": "held",
    });
    const block = zones.find((c) => c.id === "amc-block/zone-failover");
    expect(block?.evidence.map((e) => [e.scenario, e.judgement, e.outcome, e.handoffMs])).toEqual([
      ["rwo-zone-failover", "agrees", "admitted", 5567],
      ["rwo-cross-zone", "agrees", "multi-attach-blocked", undefined],
    ]);
    expect(zones.find((c) => c.id === "amc-zonal/zone-failover")?.evidence.map((e) => e.outcome)).toEqual([
      "node-affinity-conflict",
      "node-affinity-conflict",
    ]);
  });
});

/** Zone failover claims against hand-made results of the zones family (rwo-zone-failover, rwo-cross-zone). */
describe("zone failover claims", () => {
  const base = buildCertification(recordedPlan, recordedRecords, recordedEnd);
  const blockClass = base.storageClasses.find((c) => c.name === "amc-block");
  if (!blockClass) throw new Error("the recorded run tested no amc-block");
  /** The recorded run's certification with the zonal class tested, and only these results. */
  const certWith = (...results: CertificationResult[]): Certification => ({
    ...base,
    storageClasses: [
      ...base.storageClasses,
      { ...blockClass, name: "amc-zonal", provisioner: "amc-zonal.csi.test" },
    ],
    results,
  });
  const result = (
    scenario: ScenarioId,
    outcome: Outcome,
    { verdict = "conforms", handoffMs }: { verdict?: Verdict; handoffMs?: number } = {},
  ): CertificationResult => ({
    scenario,
    title: scenario,
    accessMode: "ReadWriteOnce",
    storageClass: "amc-zonal",
    status: "run",
    verdict,
    reason: `${scenario}: ${outcome}`,
    observed: { outcome, summary: `pod-b ${outcome}` },
    checks: [],
    ...(handoffMs === undefined
      ? {}
      : {
          timings: {
            startedAt: "2026-12-02T10:00:00.000Z",
            finishedAt: "2026-12-02T10:01:00.000Z",
            handoffMs,
            steps: [],
          },
        }),
  });
  const zoneFailover = (cert: Certification, claimed: string) =>
    evaluateClaims(
      profileWith({
        name: "amc-zonal",
        accessModes: ["ReadWriteOnce"],
        rwoCrossNode: "attach-exclusive",
        zoneFailover: claimed,
      }),
      cert,
    ).results.find((c) => c.id === "amc-zonal/zone-failover");

  const refusedElsewhere = result("rwo-cross-zone", "node-affinity-conflict");
  const waiting = result("rwo-zone-failover", "node-affinity-conflict", { verdict: "finding" });

  it("holds none when the replacement and a pod in another zone are both refused by node affinity", () => {
    const claim = zoneFailover(certWith(waiting, refusedElsewhere), "none");
    expect(claim).toMatchObject({
      kind: "zone-failover",
      claim: "does not fail over to another zone: a workload whose zone is down waits for it",
      status: "held",
      decidedBy: {
        scenarios: ["rwo-zone-failover", "rwo-cross-zone"],
        fields: ["observed.outcome", "timings.handoffMs"],
      },
    });
    expect(claim?.reason).toBe(
      "rwo-zone-failover @ amc-zonal: refused: volume node affinity conflict; rwo-cross-zone @ amc-zonal: refused: volume node affinity conflict",
    );
    // rwo-cross-zone can only break it: without it the claim holds on rwo-zone-failover alone.
    expect(zoneFailover(certWith(waiting), "none")?.status).toBe("held");
  });

  it("breaks none when the replacement ran elsewhere, or a pod in another zone was not refused", () => {
    const ranElsewhere = zoneFailover(
      certWith(result("rwo-zone-failover", "admitted", { handoffMs: 4100 }), refusedElsewhere),
      "none",
    );
    expect(ranElsewhere?.status).toBe("broken");
    expect(ranElsewhere?.reason).toBe(
      "rwo-zone-failover @ amc-zonal: expected refused: volume node affinity conflict, observed admitted: pod-b admitted",
    );
    const attachable = zoneFailover(
      certWith(waiting, result("rwo-cross-zone", "multi-attach-blocked")),
      "none",
    );
    expect(attachable?.status).toBe("broken");
    expect(attachable?.reason).toMatch(
      /^rwo-cross-zone @ amc-zonal: expected refused: volume node affinity conflict, observed blocked by Multi-Attach/,
    );
  });

  it("holds a budget the replacement in another zone met, with the time as evidence", () => {
    const claim = zoneFailover(
      certWith(
        result("rwo-zone-failover", "admitted", { handoffMs: 41_200 }),
        result("rwo-cross-zone", "multi-attach-blocked"),
      ),
      "90s",
    );
    expect(claim?.claim).toBe("fails over to another zone within 90s when its zone goes down");
    expect(claim?.status).toBe("held");
    expect(claim?.reason).toBe(
      "rwo-zone-failover @ amc-zonal: ran in another zone 41200 ms after the holder's deletion, within 90s; rwo-cross-zone @ amc-zonal: a pod in another zone was not refused the volume: blocked by Multi-Attach",
    );
    expect(claim?.evidence.map((e) => [e.scenario, e.judgement, e.handoffMs])).toEqual([
      ["rwo-zone-failover", "agrees", 41_200],
      ["rwo-cross-zone", "agrees", undefined],
    ]);
  });

  it("breaks a budget the replacement exceeded, and does not decide one without a time", () => {
    const slow = zoneFailover(
      certWith(result("rwo-zone-failover", "admitted", { handoffMs: 125_000 })),
      "2m",
    );
    expect(slow?.status).toBe("broken");
    expect(slow?.reason).toBe(
      "rwo-zone-failover @ amc-zonal: ran in another zone 125000 ms after the holder's deletion, over the budget of 2m",
    );
    const untimed = zoneFailover(certWith(result("rwo-zone-failover", "admitted")), "2m");
    expect(untimed?.status).toBe("not-checked");
    expect(untimed?.reason).toBe(
      "rwo-zone-failover @ amc-zonal: ran in another zone, but no time from the holder's deletion was recorded",
    );
    // A replacement that waited breaks a budget too.
    expect(zoneFailover(certWith(waiting), "2m")?.status).toBe("broken");
  });

  it("breaks a budget when a pod in another zone is refused by node affinity: the volume does not reach there", () => {
    const claim = zoneFailover(
      certWith(result("rwo-zone-failover", "admitted", { handoffMs: 3_000 }), refusedElsewhere),
      "90s",
    );
    expect(claim?.status).toBe("broken");
    expect(claim?.reason).toBe(
      "rwo-cross-zone @ amc-zonal: a pod in another zone was refused: volume node affinity conflict: the volume does not reach another zone (pod-b node-affinity-conflict)",
    );
  });

  it("does not check it without a decisive rwo-zone-failover", () => {
    const inconclusive = result("rwo-zone-failover", "admitted", { verdict: "inconclusive" });
    const claim = zoneFailover(
      certWith({ ...inconclusive, observed: undefined, reason: "timed out" }),
      "none",
    );
    expect(claim?.status).toBe("not-checked");
    expect(claim?.reason).toBe("rwo-zone-failover @ amc-zonal: inconclusive: timed out");
    expect(zoneFailover(certWith(refusedElsewhere), "none")).toMatchObject({
      status: "not-checked",
      reason: "rwo-zone-failover @ amc-zonal: not in this run's plan (left out with --scenario)",
    });
  });
});
