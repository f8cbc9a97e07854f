import type { CoreV1Event } from "@kubernetes/client-node";
import { detectionGap } from "./evidence.ts";
import type { RunTimings, StepTiming } from "./types.ts";

/**
 * The arithmetic of a record's timings, from the instants the run saw things
 * (epoch milliseconds with a sub-millisecond fraction, from nowMs). The
 * runner and its steps only read the clock; what the numbers mean is here.
 */

/** Wall-clock milliseconds with a sub-millisecond fraction. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** The timings a run measures, beside its start, end and steps. */
export type MeasuredTimings = Omit<RunTimings, "startedAt" | "finishedAt" | "steps">;

/** Milliseconds to one decimal. */
const tenths = (ms: number) => Math.round(ms * 10) / 10;

/**
 * A decision's timings: from the pod's creation (the API's answer) to the
 * decision reaching the suite; and, when an event decided it, from the
 * control plane emitting that event to the suite first seeing it (when it
 * was first seen, else when the decision was made).
 */
export function decisionTimings(seen: {
  /** When the pod the decision is about was created; unknown: no decision time. */
  createdAtMs?: number | undefined;
  decidedAtMs: number;
  event?: CoreV1Event | undefined;
  eventFirstSeenMs?: number | undefined;
}): MeasuredTimings {
  const timings: MeasuredTimings = {};
  if (seen.createdAtMs !== undefined) timings.decisionMs = tenths(seen.decidedAtMs - seen.createdAtMs);
  if (seen.event) {
    const gap = detectionGap(seen.event, seen.eventFirstSeenMs ?? seen.decidedAtMs);
    if (gap) {
      timings.detectionGapMs = gap.ms;
      timings.detectionGapPrecision = gap.precision;
    }
  }
  return timings;
}

/** When the hand-over's milestones were first seen. */
export interface HandoverSeen {
  /** The attachment to the holder's node gone. */
  oldGone?: number;
  /** An attachment to another node attached. */
  newAttached?: number;
}

/**
 * A hand-over's timings: from the holder's deletion to the waiting pod
 * admitted on its node; the holder's deletion to its attachment gone
 * (detach: on real kubelets the kubelet unmounts and the attach/detach
 * controller detaches before the pod object is removed, so "holder gone"
 * may come after the detach); old attachment gone to the new one attached
 * (attach), when both ends were seen.
 */
export function handoverTimings(startedMs: number, doneMs: number, seen: HandoverSeen): MeasuredTimings {
  const timings: MeasuredTimings = { handoffMs: Math.round(doneMs - startedMs) };
  if (seen.oldGone !== undefined) {
    timings.detachMs = Math.round(seen.oldGone - startedMs);
  }
  if (seen.oldGone !== undefined && seen.newAttached !== undefined) {
    timings.attachMs = Math.round(seen.newAttached - seen.oldGone);
  }
  return timings;
}

/** One step's (or the clean-up's) timing: when it started and how long it took, in whole milliseconds. */
export function stepTiming(step: string, startedAt: Date, endedAtMs: number): StepTiming {
  return { step, startedAt: startedAt.toISOString(), ms: endedAtMs - startedAt.getTime() };
}

/** When a rollout's milestones were first seen (epoch ms), from the template's change. */
export interface RolloutSeen {
  started: number;
  /** The old pod seen with a deletionTimestamp (or gone). */
  oldPodLeaving?: number;
  oldAttachmentGone?: number;
  newAttached?: number;
  /** The new pod admitted on the target node. */
  newAdmitted?: number;
  /** The new pod admitted on another node while the old one was still there (storage that does not keep RWO to a node). */
  bothAdmitted?: { at: number; pod: string };
}

/**
 * A completed rollout's timings: the old pod's deletion to the new pod
 * admitted (rolloutMs, the workload's downtime; none when the new pod ran
 * before the old one was deleted); when the volume moved between nodes by
 * attach, the old pod's deletion to its attachment gone (detach: the kubelet
 * unmounts, and the attach/detach controller detaches, before the pod object
 * is removed) and that to the new one attached (attach).
 */
export function rolloutTimings(seen: RolloutSeen, attachMoved: boolean): MeasuredTimings {
  const timings: MeasuredTimings = {};
  const { oldPodLeaving, newAdmitted, oldAttachmentGone, newAttached } = seen;
  if (oldPodLeaving !== undefined && newAdmitted !== undefined && newAdmitted >= oldPodLeaving) {
    timings.rolloutMs = Math.round(newAdmitted - oldPodLeaving);
  }
  if (attachMoved && oldPodLeaving !== undefined && oldAttachmentGone !== undefined) {
    timings.detachMs = Math.round(oldAttachmentGone - oldPodLeaving);
  }
  if (attachMoved && oldAttachmentGone !== undefined && newAttached !== undefined) {
    timings.attachMs = Math.round(newAttached - oldAttachmentGone);
  }
  return timings;
}
