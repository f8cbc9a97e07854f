import type { CoreV1Event, V1Pod, V1VolumeAttachment } from "@kubernetes/client-node";
import type { EventEvidence, ObjectEvidence } from "./types.ts";

/**
 * Turns what the waiter sees into evidence: every event once (with the time
 * the suite first saw it and the time its reporter emitted it), and one-line
 * states of the objects a decision rests on.
 */

/**
 * When the reporting component emitted the event. Both event recorders name
 * events "<object>.<hex UnixNano>" at creation, which gives nanoseconds on the
 * reporter's clock; else eventTime (microseconds, events.k8s.io), else
 * lastTimestamp (seconds).
 */
export function emittedAt(
  event: CoreV1Event,
): { at: Date; precision: "ns" | "us" | "s"; ns?: bigint } | undefined {
  const fallback = event.lastTimestamp ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  const suffix = event.metadata?.name?.split(".").at(-1) ?? "";
  if (/^[0-9a-f]{12,16}$/.test(suffix)) {
    const ns = BigInt(`0x${suffix}`);
    const at = new Date(Number(ns / 1_000_000n));
    // Trust the name only when it agrees with the event's own (coarser) time.
    if (!fallback || Math.abs(at.getTime() - new Date(fallback).getTime()) < 2_000)
      return { at, precision: "ns", ns };
  }
  if (event.eventTime) return { at: new Date(event.eventTime), precision: "us" };
  return fallback ? { at: new Date(fallback), precision: "s" } : undefined;
}

/** Milliseconds from the event's emission to `receivedAt` (epoch ms with sub-ms fraction). */
export function detectionGap(
  event: CoreV1Event,
  receivedAtMs: number,
): { ms: number; precision: "ns" | "us" | "s" } | undefined {
  const emitted = emittedAt(event);
  if (!emitted) return undefined;
  const emittedMs = emitted.ns !== undefined ? Number(emitted.ns) / 1e6 : emitted.at.getTime();
  return { ms: Math.round((receivedAtMs - emittedMs) * 10) / 10, precision: emitted.precision };
}

export function toEventEvidence(event: CoreV1Event, receivedAt: Date): EventEvidence {
  const emitted = emittedAt(event);
  return {
    type: event.type ?? "",
    reason: event.reason ?? "",
    message: event.message ?? "",
    source: event.reportingComponent || event.source?.component || "",
    involvedObject: { kind: event.involvedObject.kind ?? "", name: event.involvedObject.name ?? "" },
    count: event.count ?? event.series?.count ?? 1,
    ...(emitted ? { emittedAt: emitted.at.toISOString(), emittedAtPrecision: emitted.precision } : {}),
    receivedAt: receivedAt.toISOString(),
  };
}

/** Collects events without duplicates: the first sighting wins, a later count replaces the count. */
export class EventLog {
  private readonly byUid = new Map<string, { event: CoreV1Event; receivedAt: Date }>();
  /** Receipt time with sub-millisecond precision, for detection gaps. */
  private readonly receivedAtMs = new Map<string, number>();

  add(event: CoreV1Event, receivedAt: Date, receivedAtMs = receivedAt.getTime()): void {
    const uid = event.metadata?.uid ?? `${event.metadata?.name}`;
    const known = this.byUid.get(uid);
    if (known) {
      known.event = event;
      return;
    }
    this.byUid.set(uid, { event, receivedAt });
    this.receivedAtMs.set(uid, receivedAtMs);
  }

  firstSeenMs(event: CoreV1Event): number | undefined {
    return this.receivedAtMs.get(event.metadata?.uid ?? `${event.metadata?.name}`);
  }

  evidence(): EventEvidence[] {
    return [...this.byUid.values()]
      .map(({ event, receivedAt }) => toEventEvidence(event, receivedAt))
      .sort((a, b) => (a.emittedAt ?? a.receivedAt).localeCompare(b.emittedAt ?? b.receivedAt));
  }
}

export function podState(pod: V1Pod, at: Date): ObjectEvidence {
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting?.reason;
  const node = pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : " (not scheduled)";
  const deleting = pod.metadata?.deletionTimestamp ? ", being deleted" : "";
  return {
    kind: "Pod",
    name: pod.metadata?.name ?? "",
    state: `${pod.status?.phase ?? "Unknown"}${waiting ? ` (${waiting})` : ""}${node}${deleting}`,
    at: at.toISOString(),
  };
}

export function attachmentState(attachment: V1VolumeAttachment, at: Date): ObjectEvidence {
  return {
    kind: "VolumeAttachment",
    name: attachment.metadata?.name ?? "",
    state: `${attachment.spec.source.persistentVolumeName} on ${attachment.spec.nodeName}: ${attachment.status?.attached ? "attached" : "not attached"}${attachment.status?.attachError?.message ? ` (${attachment.status.attachError.message})` : ""}`,
    at: at.toISOString(),
  };
}
