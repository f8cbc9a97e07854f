import { describe, expect, it } from "vitest";
import type { ScenarioRecord } from "../scenario/types.ts";
import { detectionGaps, percentile, renderDetectionGaps } from "./failover-gaps.ts";
import { kindFailover, recordedRecords } from "./testdata/fixture.ts";

/** The detection gaps of the node-failure timelines of a recorded kind run (bench/failover-gaps.ts). */

describe("detection gaps per phase", () => {
  const gaps = detectionGaps(kindFailover.records);

  it("counts only the phases the cluster stamped to the nanosecond, in the order they happen", () => {
    expect(gaps.map((g) => [g.phase, g.count])).toEqual([
      ["node-not-ready", 24],
      ["pod-evicted", 24],
      ["replacement-created", 24],
      ["replacement-scheduled", 12],
      ["replacement-refused", 18],
      ["new-attachment-attached", 4],
    ]);
    // The node's unreachable taint is stamped to the second, the fault by the suite: no gap for them.
    const allPhases = kindFailover.records.flatMap((r) => r.failover?.phases ?? []);
    expect(allPhases.filter((p) => p.source === "taint" || p.source === "suite").length).toBeGreaterThan(0);
    expect(gaps.some((g) => g.phase === "node-tainted" || g.phase === "fault-injected")).toBe(false);
  });

  it("gives p50 and p95 and says whether p95 is under 250 ms", () => {
    const evicted = gaps.find((g) => g.phase === "pod-evicted");
    expect(evicted).toMatchObject({ p50: 82.8, p95: 221.2, meetsTarget: true });
    const refused = gaps.find((g) => g.phase === "replacement-refused");
    expect(refused).toMatchObject({ p95: 304.1, max: 304.1, meetsTarget: false });
  });

  it("is the nearest-rank percentile", () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(100);
    expect(percentile([249.9], 95)).toBe(249.9);
    expect(percentile([], 50)).toBeNaN();
  });

  it("puts the target at 250 ms exactly: a p95 of 250 ms misses it", () => {
    const one = (gap: number): ScenarioRecord => {
      const r = structuredClone(kindFailover.records[0] as ScenarioRecord);
      const f = r.failover as NonNullable<ScenarioRecord["failover"]>;
      f.phases = f.phases.filter((p) => p.id === "pod-evicted").map((p) => ({ ...p, detectionGapMs: gap }));
      return r;
    };
    expect(detectionGaps([one(249.9)])[0]?.meetsTarget).toBe(true);
    expect(detectionGaps([one(250)])[0]?.meetsTarget).toBe(false);
  });

  it("prints a table, and says so when a run has no node-failure timeline", () => {
    const table = renderDetectionGaps(gaps, kindFailover.records).split("\n");
    expect(table).toContain("| pod-evicted | 24 | 82.8 ms | 221.2 ms | 241.6 ms | yes |");
    expect(table).toContain("| replacement-refused | 18 | 36.4 ms | 304.1 ms | 304.1 ms | NO |");
    expect(table.at(-1)).toMatch(/^\| all phases \| 106 \| /);
    expect(renderDetectionGaps(detectionGaps(recordedRecords), recordedRecords)).toBe(
      `no detection gap in 0 node-failure record(s) of ${recordedRecords.length}: no phase was timed by an event the cluster stamped to the nanosecond`,
    );
  });
});
