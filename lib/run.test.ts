import { describe, expect, it } from "vitest";
import { newRunId, parseOwner, runAnnotations, runLabels } from "./run.ts";
import { scaledTimeouts, timeoutsOf } from "./scenario/timeouts.ts";
import { readSettings } from "./settings.ts";

describe("runs", () => {
  it("have sortable ids that are valid label values", () => {
    const id = newRunId(new Date("2026-11-21T11:32:37Z"));
    expect(id).toMatch(/^20261121t113237-[0-9a-f]{4}$/);
    expect(runLabels(id)).toEqual({
      "app.kubernetes.io/managed-by": "access-mode-conformance",
      "access-mode-conformance/run": id,
    });
  });

  it("record their owner so that a later run can tell leftovers from live objects", () => {
    const annotations = runAnnotations({
      owner: { host: "ci-1", pid: 42, startTicks: "123" },
      startedAt: "t",
    });
    expect(parseOwner(annotations["access-mode-conformance/owner"])).toEqual({
      host: "ci-1",
      pid: 42,
      startTicks: "123",
    });
    expect(parseOwner("garbage")).toBeUndefined();
  });
});

describe("timeouts", () => {
  it("scale together and refuse a nonsense factor", () => {
    expect(scaledTimeouts(2).decision).toBe(2 * timeoutsOf(readSettings({})).decision);
    expect(timeoutsOf(readSettings({ AMC_TIMEOUT_SCALE: "0.5" })).handover).toBe(4 * 60_000);
    expect(() => readSettings({ AMC_TIMEOUT_SCALE: "fast" })).toThrow(
      /AMC_TIMEOUT_SCALE=fast: expected a factor such as 2x or 0.5x/,
    );
  });
});
