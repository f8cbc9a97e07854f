import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BackgroundCleanups, withCleanup } from "./background-cleanups.ts";
import type { ScenarioRecord } from "./types.ts";

// A record as a kind run wrote it (its clean-up already in it): the background clean-up's outcome replaces that.
const recorded = JSON.parse(
  readFileSync(new URL("../report/testdata/run/rwo-same-node@amc-block.json", import.meta.url), "utf8"),
) as ScenarioRecord;
const decided: ScenarioRecord = {
  ...recorded,
  timings: { ...recorded.timings, steps: recorded.timings.steps.filter((s) => s.step !== "clean-up") },
};

describe("clean-up off the critical path", () => {
  it("awaits every clean-up started, with what each noted and how long it took", async () => {
    const cleanups = new BackgroundCleanups();
    cleanups.start("rwo-same-node@amc-block.json", "amc-rwo-same-node-1", async () => [
      "volume pvc-1 has reclaim policy Retain",
    ]);
    cleanups.start("rwo-same-node@amc-local.json", "amc-rwo-same-node-2", async () => []);
    expect(cleanups.size).toBe(2);
    const outcomes = await cleanups.drain("test");
    expect(outcomes.map((o) => [o.key, o.notes, o.step.step, o.error])).toEqual([
      ["rwo-same-node@amc-block.json", ["volume pvc-1 has reclaim policy Retain"], "clean-up", undefined],
      ["rwo-same-node@amc-local.json", [], "clean-up", undefined],
    ]);
    expect(cleanups.size).toBe(0);
  });

  it("tells the clean-ups that are done from those still going, which a suite file hands over", async () => {
    const cleanups = new BackgroundCleanups();
    let finish = () => {};
    cleanups.start("rwo-handoff@amc-block.json", "amc-rwo-handoff-1", async () => []);
    cleanups.start(
      "rwo-cross-node@amc-block.json",
      "amc-rwo-cross-node-1",
      () => new Promise<string[]>((resolve) => (finish = () => resolve([]))),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(cleanups.finished().map((o) => o.key)).toEqual(["rwo-handoff@amc-block.json"]);
    const going = cleanups.stillGoing();
    expect(going.map((g) => [g.key, g.namespace])).toEqual([
      ["rwo-cross-node@amc-block.json", "amc-rwo-cross-node-1"],
    ]);
    expect(Date.parse(going[0]?.startedAt ?? "")).not.toBeNaN();
    expect(cleanups.size).toBe(0);
    finish();
  });

  it("keeps a failed clean-up's error for the suite to report (drain itself never throws)", async () => {
    const cleanups = new BackgroundCleanups();
    cleanups.start("rwop-preemption@amc-block.json", "amc-rwop-preemption-1", async () => {
      throw new Error("namespace amc-rwop-preemption-1 to be gone: timed out after 180 s");
    });
    const [outcome] = await cleanups.drain("test");
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
});
