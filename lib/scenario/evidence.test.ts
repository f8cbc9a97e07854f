import { readFileSync } from "node:fs";
import type { CoreV1Event } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { detectionGap, EventLog, emittedAt, toEventEvidence } from "./evidence.ts";

const recorded = JSON.parse(
  readFileSync(new URL("./testdata/rwo-cross-block.json", import.meta.url), "utf8"),
) as {
  events: CoreV1Event[];
};
const multiAttach = recorded.events.find((e) => e.reason === "FailedAttachVolume") as CoreV1Event;
const scheduled = recorded.events.find((e) => e.reason === "Scheduled") as CoreV1Event;

describe("when an event was emitted", () => {
  it("comes from the event's name, in nanoseconds, when it agrees with its timestamps", () => {
    const emitted = emittedAt(multiAttach);
    expect(emitted?.precision).toBe("ns");
    const suffix = multiAttach.metadata?.name?.split(".").at(-1) as string;
    expect(emitted?.ns).toBe(BigInt(`0x${suffix}`));
    expect(
      Math.abs((emitted?.at.getTime() ?? 0) - Date.parse(multiAttach.lastTimestamp as unknown as string)),
    ).toBeLessThan(1000);
  });

  it("falls back to eventTime, then to lastTimestamp", () => {
    const renamed = { ...scheduled, metadata: { ...scheduled.metadata, name: "pod-a.not-a-time" } };
    expect(emittedAt(renamed)?.precision).toBe("us");
    const old = { ...multiAttach, metadata: { ...multiAttach.metadata, name: "pod-b.zz" } };
    expect(emittedAt(old)).toMatchObject({ precision: "s" });
  });

  it("gives the gap to the suite's receipt in milliseconds", () => {
    const emitted = emittedAt(multiAttach);
    const received = Number(emitted?.ns) / 1e6 + 12.34;
    expect(detectionGap(multiAttach, received)).toEqual({ ms: 12.3, precision: "ns" });
  });
});

describe("event evidence", () => {
  it("keeps reason, message, reporter and both times", () => {
    const evidence = toEventEvidence(multiAttach, new Date("2026-11-21T12:00:00Z"));
    expect(evidence).toMatchObject({
      type: "Warning",
      reason: "FailedAttachVolume",
      source: "attachdetach-controller",
      involvedObject: { kind: "Pod", name: "pod-b" },
      emittedAtPrecision: "ns",
      receivedAt: "2026-11-21T12:00:00.000Z",
    });
  });

  it("records each event once, at its first sighting", () => {
    const log = new EventLog();
    log.add(multiAttach, new Date("2026-11-21T12:00:00Z"), 1);
    log.add({ ...multiAttach, count: 2 }, new Date("2026-11-21T12:00:05Z"), 2);
    expect(log.evidence()).toHaveLength(1);
    expect(log.evidence()[0]).toMatchObject({ count: 2, receivedAt: "2026-11-21T12:00:00.000Z" });
    expect(log.firstSeenMs(multiAttach)).toBe(1);
  });
});
