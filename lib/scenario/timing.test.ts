import type { CoreV1Event } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { emittedAt } from "./evidence.ts";
import { recording } from "./testdata/recordings.ts";
import { decisionTimings, handoverTimings, rolloutTimings, stepTiming } from "./timing.ts";

/** The timings' arithmetic, on given instants and on an event recorded from the local cluster. */

const multiAttach = recording("rwo-cross-block").events.find(
  (e) => e.reason === "FailedAttachVolume",
) as CoreV1Event;
const emittedMs = Number(emittedAt(multiAttach)?.ns) / 1e6;

describe("a decision's timings", () => {
  it("measure from the pod's creation to the decision, to a tenth of a millisecond", () => {
    expect(decisionTimings({ createdAtMs: 1_000.25, decidedAtMs: 1_174.87 })).toEqual({ decisionMs: 174.6 });
  });

  it("have no decision time when the pod's creation was not seen", () => {
    expect(decisionTimings({ decidedAtMs: 1_174.87 })).toEqual({});
  });

  it("measure the detection gap from the event's emission (its name, in ns) to its first sighting", () => {
    const timings = decisionTimings({
      createdAtMs: emittedMs - 170,
      decidedAtMs: emittedMs + 9,
      event: multiAttach,
      eventFirstSeenMs: emittedMs + 5.14,
    });
    expect(timings).toEqual({ decisionMs: 179, detectionGapMs: 5.1, detectionGapPrecision: "ns" });
  });

  it("take the decision's instant as the sighting of an event never seen arriving", () => {
    const timings = decisionTimings({ decidedAtMs: emittedMs + 9.04, event: multiAttach });
    expect(timings).toEqual({ detectionGapMs: 9, detectionGapPrecision: "ns" });
  });

  it("have no gap for an event without any time of emission", () => {
    const timeless: CoreV1Event = {
      ...multiAttach,
      metadata: { ...multiAttach.metadata, name: "pod-b.nothex", creationTimestamp: undefined },
      eventTime: undefined,
      lastTimestamp: undefined,
      firstTimestamp: undefined,
    } as unknown as CoreV1Event;
    expect(decisionTimings({ createdAtMs: 0, decidedAtMs: 10, event: timeless })).toEqual({ decisionMs: 10 });
  });
});

describe("a hand-over's timings", () => {
  it("measure the handoff, the detach and the attach in whole milliseconds", () => {
    const timings = handoverTimings(10_000, 13_400.4, {
      oldGone: 11_671.4,
      newAttached: 12_625.3,
    });
    expect(timings).toEqual({ handoffMs: 3400, detachMs: 1671, attachMs: 954 });
  });

  it("count the detach from the holder's deletion: on real kubelets it may end before the pod object is gone", () => {
    // rwo-handoff-block @ amc-block on kind: the attachment went 0.5 s before the holder's pod object.
    expect(handoverTimings(0, 11_100, { oldGone: 9_800, newAttached: 10_428 })).toEqual({
      handoffMs: 11100,
      detachMs: 9800,
      attachMs: 628,
    });
  });

  it("leave out the detach or the attach when one of its ends was not seen", () => {
    expect(handoverTimings(0, 3_000, { newAttached: 2_000 })).toEqual({ handoffMs: 3000 });
    expect(handoverTimings(0, 3_000, { oldGone: 500 })).toEqual({ handoffMs: 3000, detachMs: 500 });
    expect(handoverTimings(0, 3_000, {})).toEqual({ handoffMs: 3000 });
  });
});

describe("a rollout's timings", () => {
  // The instants of rwo-statefulset-reschedule @ amc-block on kind (ms since the template's change).
  const seen = {
    started: 0,
    oldPodLeaving: 310.2,
    oldAttachmentGone: 7_144.1,
    newAttached: 8_457.3,
    newAdmitted: 9_260.6,
  };

  it("measure the old pod's deletion to the new pod admitted, and across nodes the detach and the attach", () => {
    expect(rolloutTimings(seen, true)).toEqual({ rolloutMs: 8950, detachMs: 6834, attachMs: 1313 });
  });

  it("leave out the detach and the attach where the volume did not move by attach", () => {
    expect(rolloutTimings(seen, false)).toEqual({ rolloutMs: 8950 });
  });

  it("have no duration when the new pod ran before the old one was deleted (a rolling update on shared storage)", () => {
    expect(rolloutTimings({ started: 0, oldPodLeaving: 5_000, newAdmitted: 4_000 }, false)).toEqual({});
  });
});

describe("a step's timing", () => {
  it("starts when the step did and lasts until it ended", () => {
    const started = new Date("2026-11-21T12:19:55.059Z");
    expect(stepTiming("claim", started, started.getTime() + 2101)).toEqual({
      step: "claim",
      startedAt: "2026-11-21T12:19:55.059Z",
      ms: 2101,
    });
  });
});
