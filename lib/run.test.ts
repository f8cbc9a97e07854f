import { describe, expect, it } from "vitest";
import { newRunId, parseOwner, parseOwnerPod, runAnnotations, runLabels } from "./run.ts";
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
    expect(annotations["access-mode-conformance/owner-pod"]).toBeUndefined();
  });

  it("inside the cluster, record their pod too, which a run in another pod asks the API about", () => {
    const annotations = runAnnotations({
      owner: {
        host: "amc-run-x7k2p",
        pid: 1,
        startTicks: "9",
        pod: { namespace: "amc-system", name: "amc-run-x7k2p", uid: "0b7c-11" },
      },
      startedAt: "t",
    });
    expect(annotations["access-mode-conformance/owner-pod"]).toBe("amc-system/amc-run-x7k2p/0b7c-11");
    expect(parseOwnerPod(annotations["access-mode-conformance/owner-pod"])).toEqual({
      namespace: "amc-system",
      name: "amc-run-x7k2p",
      uid: "0b7c-11",
    });
    expect(parseOwnerPod("amc-system/amc-run-x7k2p")).toBeUndefined();
    expect(parseOwnerPod(undefined)).toBeUndefined();
    const settings = readSettings({ AMC_POD_NAMESPACE: "amc-system", AMC_POD_NAME: "p", AMC_POD_UID: "u" });
    expect(settings.pod).toEqual({ namespace: "amc-system", name: "p", uid: "u" });
    expect(readSettings({}).pod).toBeUndefined();
    expect(() => readSettings({ AMC_POD_NAME: "p" })).toThrow(
      /AMC_POD_NAMESPACE, AMC_POD_NAME and AMC_POD_UID go together .* only AMC_POD_NAME set/,
    );
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
