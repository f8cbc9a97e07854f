import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BackgroundCleanups, recordCleanups, withCleanup } from "./background-cleanups.ts";
import { readRecords } from "./records.ts";
import type { ScenarioRecord } from "./types.ts";

// A record as a kind run wrote it (its clean-up already in it): the background clean-up's outcome replaces that.
const recorded = JSON.parse(
  readFileSync(new URL("../report/testdata/run/rwo-same-node@amc-block.json", import.meta.url), "utf8"),
) as ScenarioRecord;
const decided: ScenarioRecord = {
  ...recorded,
  timings: { ...recorded.timings, steps: recorded.timings.steps.filter((s) => s.step !== "clean-up") },
};

/** Lets the clean-ups that are already settled deliver their outcomes. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("clean-up off the critical path", () => {
  it("gives every clean-up that is done, with what each noted and how long it took", async () => {
    const cleanups = new BackgroundCleanups();
    cleanups.start("rwo-same-node@amc-block.json", ["amc-rwo-same-node-1"], async () => [
      "volume pvc-1 has reclaim policy Retain",
    ]);
    cleanups.start("rwo-same-node@amc-local.json", ["amc-rwo-same-node-2"], async () => []);
    expect(cleanups.finished()).toEqual([]);
    await settle();
    const outcomes = cleanups.finished();
    expect(outcomes.map((o) => [o.key, o.notes, o.step.step, o.error])).toEqual([
      ["rwo-same-node@amc-block.json", ["volume pvc-1 has reclaim policy Retain"], "clean-up", undefined],
      ["rwo-same-node@amc-local.json", [], "clean-up", undefined],
    ]);
    expect(cleanups.finished()).toEqual([]);
    expect(cleanups.stillGoing()).toEqual([]);
  });

  it("tells the clean-ups that are done from those still going, which a suite file hands over", async () => {
    const cleanups = new BackgroundCleanups();
    let finish = () => {};
    cleanups.start("rwo-handoff@amc-block.json", ["amc-rwo-handoff-1"], async () => []);
    cleanups.start(
      "rwop-preemption-namespaces@amc-block.json",
      ["amc-rwop-preemption-namespaces-1", "amc-rwop-preemption-namespaces-n-1"],
      () => new Promise<string[]>((resolve) => (finish = () => resolve([]))),
    );
    await settle();
    expect(cleanups.finished().map((o) => o.key)).toEqual(["rwo-handoff@amc-block.json"]);
    const going = cleanups.stillGoing();
    // Every namespace of the case is handed over: the run's end removes them all.
    expect(going.map((g) => [g.key, g.namespaces])).toEqual([
      [
        "rwop-preemption-namespaces@amc-block.json",
        ["amc-rwop-preemption-namespaces-1", "amc-rwop-preemption-namespaces-n-1"],
      ],
    ]);
    expect(Date.parse(going[0]?.startedAt ?? "")).not.toBeNaN();
    expect(cleanups.stillGoing()).toEqual([]);
    finish();
  });

  it("keeps a failed clean-up's error for the suite to report (nothing throws)", async () => {
    const cleanups = new BackgroundCleanups();
    cleanups.start("rwop-preemption@amc-block.json", ["amc-rwop-preemption-1"], async () => {
      throw new Error("namespace amc-rwop-preemption-1 to be gone: timed out after 180 s");
    });
    await settle();
    const [outcome] = cleanups.finished();
    expect(outcome?.error?.message).toMatch(/timed out/);
  });

  it("puts the clean-up into the record after the verdict's steps, leaving the verdict alone", () => {
    const step = { step: "clean-up", startedAt: decided.timings.finishedAt, ms: 7313 };
    const record = withCleanup(decided, { key: "k", notes: ["kept pvc-1"], step });
    expect(record.timings.steps.at(-1)).toEqual(step);
    expect(record.timings.steps.slice(0, -1)).toEqual(decided.timings.steps);
    expect(record.cleanupNotes).toEqual(["kept pvc-1"]);
    expect(record.verdict).toBe(decided.verdict);
    expect(withCleanup(decided, { key: "k", notes: [], step })).not.toHaveProperty("cleanupNotes");
  });

  it("writes each outcome into its record and returns the failed ones, one line each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amc-cleanups-"));
    try {
      const step = { step: "clean-up", startedAt: decided.timings.finishedAt, ms: 6100 };
      const failures = await recordCleanups(
        dir,
        [
          { key: "rwo-same-node@amc-block.json", notes: [], step },
          { key: "gone-before-its-record.json", notes: [], step, error: new Error("timed out after 180 s") },
        ],
        (key) => (key === "rwo-same-node@amc-block.json" ? decided : undefined),
      );
      expect(failures).toEqual(["gone-before-its-record: timed out after 180 s"]);
      const [written] = await readRecords(dir, decided.runId);
      expect(written?.timings.steps.at(-1)).toEqual(step);
      expect(written?.verdict).toBe(decided.verdict);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
