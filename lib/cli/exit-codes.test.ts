import { describe, expect, it } from "vitest";
import { InfrastructureError, UsageError } from "../errors.ts";
import { loadProfile } from "../profile/load-profile.ts";
import type { StoredProfile } from "../profile/profile.ts";
import { buildCertification } from "../report/certification.ts";
import { recordedEnd, recordedPlan, recordedRecords } from "../report/testdata/fixture.ts";
import type { RunRecord } from "../scenario/types.ts";
import { exitCodeForError, judgeRun } from "./exit-codes.ts";

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
  records: readonly RunRecord[],
  profile?: StoredProfile,
  status: "complete" | "failed" | "interrupted" = "complete",
) => buildCertification(recordedPlan, records, { finishedAt: recordedEnd.finishedAt, status }, profile);

/** The recorded run with one result changed. */
function withResult(scenario: string, storageClass: string, change: Partial<RunRecord>): RunRecord[] {
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
      reasons: ["everything conforms or is not applicable, 16 claim(s) held"],
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

describe("exitCodeForError", () => {
  it("maps the user's input to 2 and everything else to 3", () => {
    expect(exitCodeForError(new UsageError("unknown scenario"))).toBe(2);
    class UnknownStorageClassError extends UsageError {}
    expect(exitCodeForError(new UnknownStorageClassError("no such class"))).toBe(2);
    expect(
      exitCodeForError(Object.assign(new TypeError("bad"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" })),
    ).toBe(2);
    expect(exitCodeForError(new InfrastructureError("connect ECONNREFUSED"))).toBe(3);
    expect(exitCodeForError(new Error("anything else"))).toBe(3);
  });
});
