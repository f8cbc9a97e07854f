import { describe, expect, it } from "vitest";
import { withClaims } from "../../lib/profile/claims.ts";
import { loadProfile } from "../../lib/profile/load-profile.ts";
import type { StoredProfile } from "../../lib/profile/profile.ts";
import { buildCertification } from "../../lib/report/certification.ts";
import {
  localPreemptionNamespaces,
  recordedEnd,
  recordedPlan,
  recordedRecords,
} from "../../lib/report/testdata/fixture.ts";
import type { ScenarioRecord } from "../../lib/scenario/types.ts";
import { judgeRun } from "./exit-codes.ts";

/** Exit codes from recorded runs: what a CI job branches on. */

const local = await loadProfile("profiles/local.yaml");
const honest: StoredProfile = {
  ...local,
  profile: {
    ...local.profile,
    storageClasses: local.profile.storageClasses.map((c) =>
      c.name === "amc-shared" ? { ...c, rwoCrossNode: "not-enforced" } : c,
    ),
  },
};

const certify = (
  records: readonly ScenarioRecord[],
  profile?: StoredProfile,
  status: "complete" | "failed" | "interrupted" = "complete",
) => {
  const cert = buildCertification(recordedPlan, records, { finishedAt: recordedEnd.finishedAt, status });
  return profile ? withClaims(cert, profile) : cert;
};

/** The recorded run with one result changed. */
function withResult(
  scenario: string,
  storageClass: string,
  change: Partial<ScenarioRecord>,
): ScenarioRecord[] {
  return recordedRecords.map((r) =>
    r.scenario === scenario && r.storageClass === storageClass ? { ...r, ...change } : r,
  );
}

describe("judgeRun", () => {
  it("amc run: the amc-shared finding makes the run non-conforming (1)", () => {
    expect(judgeRun(certify(recordedRecords), "run")).toEqual({ code: 1, reasons: ["1 finding(s)"] });
  });

  it("amc certify: the naive profile's broken claim is 1; the honest profile passes with 0", () => {
    expect(judgeRun(certify(recordedRecords, local), "certify")).toEqual({
      code: 1,
      reasons: ["1 broken claim(s)"],
    });
    expect(judgeRun(certify(recordedRecords, honest), "certify")).toEqual({
      code: 0,
      reasons: ["everything conforms or is not applicable, 16 claim(s) held, 15 not checked"],
    });
  });

  it("an inconclusive result is an infrastructure problem (3)", () => {
    const timedOut = withResult("rwo-handoff", "amc-block", {
      verdict: "inconclusive",
      reason: "timed out after 480 s waiting for the handoff",
    });
    expect(judgeRun(certify(timedOut, honest), "certify")).toEqual({
      code: 3,
      reasons: ["1 inconclusive result(s)"],
    });
  });

  it("a deviation wins over what could not be decided (1 before 3)", () => {
    const both = withResult("rwo-handoff", "amc-block", { verdict: "inconclusive" }).map((r) =>
      r.scenario === "rwop-same-node" && r.storageClass === "amc-local"
        ? { ...r, verdict: "deviates" as const }
        : r,
    );
    expect(judgeRun(certify(both, honest), "certify").code).toBe(1);
  });

  it("a run that failed early, or tests failing outside the verdicts, is 3; an interrupted one 130", () => {
    const firstHalf = recordedRecords.filter((r) => r.accessMode === "ReadWriteOnce");
    expect(judgeRun(certify(firstHalf, honest, "failed"), "certify")).toEqual({
      code: 3,
      reasons: ["the run failed before its end", "15 planned result(s) not run"],
    });
    expect(judgeRun(certify(recordedRecords, honest), "certify", true).code).toBe(3);
    expect(judgeRun(certify(firstHalf, local, "interrupted"), "certify").code).toBe(130);
  });
});

describe("judgeRun with a finding about the cluster's control plane", () => {
  const { plan, records, end } = localPreemptionNamespaces;
  const cert = buildCertification(plan, records, end);

  it("counts it as a finding for amc run, and leaves it to the claims for amc certify", () => {
    // Every storage verdict conforms; kube-scheduler's cross-namespace defect is what amc run exits 1 on.
    expect(cert.summary.counts.finding).toBe(0);
    expect(judgeRun(cert, "run")).toEqual({ code: 1, reasons: ["3 finding(s)"] });
    expect(judgeRun(cert, "certify").code).toBe(0);
  });
});
