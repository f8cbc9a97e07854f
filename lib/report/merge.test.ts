import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { buildCertification } from "./certification.ts";
import { mergeRuns, readStoredRun, type StoredRun, writeMergedRun } from "./merge.ts";
import { recordedEnd, recordedPlan, recordedRecords } from "./testdata/fixture.ts";

/**
 * A run recorded on the local cluster (testdata/run), split by storage class
 * as two Jobs would have run it, then merged: the merged certification has
 * the single run's matrix, cell by cell.
 */

const part = (classes: readonly string[], runId: string): StoredRun => ({
  reportDir: `reports-${runId}`,
  runId,
  plan: {
    ...recordedPlan,
    runId,
    storage: recordedPlan.storage.filter((s) => classes.includes(s.className)),
  },
  records: recordedRecords.filter((r) => classes.includes(r.storageClass)).map((r) => ({ ...r, runId })),
  end: recordedEnd,
});
const blockAndLocal = part(["amc-block", "amc-local"], "20261130t100000-aaaa");
const shared = part(["amc-shared"], "20261130t100000-bbbb");
const dir = await mkdtemp(join(tmpdir(), "amc-merge-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
const matrix = (cert: ReturnType<typeof buildCertification>) =>
  cert.results.map((r) => `${r.scenario} @ ${r.storageClass}: ${r.verdict} (${r.reason})`).sort();

describe("amc report --merge", () => {
  const single = buildCertification(recordedPlan, recordedRecords, recordedEnd);

  it("gives a run split by storage class the single run's matrix, cell by cell", () => {
    const merged = mergeRuns([blockAndLocal, shared]);
    const cert = buildCertification(merged.plan, merged.records, merged.end);
    expect(matrix(cert)).toEqual(matrix(single));
    expect(cert.summary.counts).toEqual(single.summary.counts);
    expect(cert.storageClasses.map((c) => c.name)).toEqual(["amc-block", "amc-local", "amc-shared"]);
    expect(cert.run.mergedFrom).toEqual([
      { reportDir: "reports-20261130t100000-aaaa", runId: "20261130t100000-aaaa" },
      { reportDir: "reports-20261130t100000-bbbb", runId: "20261130t100000-bbbb" },
    ]);
    expect(cert.run.status).toBe("complete");
  });

  it("refuses runs of another cluster, a case decided twice and another profile, naming each", () => {
    const elsewhere = {
      ...shared,
      plan: { ...shared.plan, cluster: { ...shared.plan.cluster, name: "other" } },
    };
    const twice = part(["amc-shared", "amc-local"], "20261130t100000-cccc");
    const error = (() => {
      try {
        mergeRuns([blockAndLocal, elsewhere, twice]);
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a refusal");
    })();
    expect(error).toBeInstanceOf(UsageError);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("these runs do not merge into one certification:");
    expect(lines[1]).toMatch(
      /^ {2}- reports-20261130t100000-bbbb \(run 20261130t100000-bbbb\) ran on local cluster "other"/,
    );
    expect(
      lines.some((l) => /rwo-same-node @ amc-local was decided by both reports-20261130t100000-aaaa/.test(l)),
    ).toBe(true);
    const profiled = {
      ...shared,
      profile: { file: "vendor.yaml", sha256: "abc", profile: { profile: "x" } },
    } as never;
    expect(() => mergeRuns([blockAndLocal, profiled])).toThrow(
      /checked the profile vendor\.yaml, reports-20261130t100000-aaaa \(run 20261130t100000-aaaa\) none/,
    );
    expect(() => mergeRuns([blockAndLocal])).toThrow(UsageError);
  });

  it("is a run of its own on disk: its reports follow the schema and name the runs it was made of", async () => {
    const written = await writeMergedRun(dir, mergeRuns([blockAndLocal, shared]));
    const stored = await readStoredRun(dir);
    expect(stored.runId).toMatch(/^merged-[0-9a-f]{12}$/);
    expect(stored.records).toHaveLength(recordedRecords.length);
    expect(stored.end?.status).toBe("complete");
    const schema = JSON.parse(readFileSync(new URL("./certification.schema.json", import.meta.url), "utf8"));
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const cert = JSON.parse(JSON.stringify(written?.certification));
    expect(validate(cert), JSON.stringify(validate.errors)).toBe(true);
    expect(matrix(cert)).toEqual(matrix(single));
  });
});
