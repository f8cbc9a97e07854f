import type {
  CoreV1Event,
  KubernetesObject,
  V1Node,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import type { Observation } from "../kube/wait.ts";
import { emittedAt } from "../scenario/evidence.ts";
import type { FailoverPhase, FailoverPhaseId } from "../scenario/types.ts";

/**
 * The failover timeline of one writer, from what the cluster says: the
 * failed node's conditions and taints, the namespace's events and pods, and
 * the volume's attachments, each phase at the time the cluster recorded it
 * (an event's emission, a condition's transition, a taint's timeAdded, an
 * object's creation) where it recorded one, else when the suite saw it.
 * The first occurrence of each phase counts; what happened before the fault
 * (the writer's own start) is not a phase.
 */

export type TimelineSource = "node" | "pods" | "events" | "attachments";

export interface TimelineScope {
  /** The failed node, the old writer pod, and the claim's PersistentVolume. */
  node: string;
  oldPod: string;
  volume?: string;
}

/** Times the cluster states to the second are compared to the fault with this slack. */
const SECOND_SLACK_MS = 1_000;

const UNREACHABLE_TAINTS = new Set(["node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"]);

export class FailoverTimeline {
  private readonly phases = new Map<FailoverPhaseId, FailoverPhase>();
  /** The pod that replaced the old writer (the first one created after the fault). */
  replacement?: string;
  replacementNode?: string;

  private readonly faultAtMs: number;
  private readonly scope: TimelineScope;

  constructor(faultAtMs: number, scope: TimelineScope) {
    this.faultAtMs = faultAtMs;
    this.scope = scope;
  }

  /** A phase the suite itself caused or measured (the fault, a force delete, the taint, the first write). */
  note(id: FailoverPhaseId, detail: string, at: Date, source: FailoverPhase["source"] = "suite"): void {
    this.add({ id, detail, at, seenAt: at, source, precision: "ms" });
  }

  /** Sees one object as the waiter got it. */
  observe(source: TimelineSource, type: Observation, object: KubernetesObject, receivedAt: Date): void {
    if (source === "node") this.onNode(object as V1Node, receivedAt);
    else if (source === "events" && type !== "DELETED") this.onEvent(object as CoreV1Event, receivedAt);
    else if (source === "pods") this.onPod(type, object as V1Pod, receivedAt);
    else if (source === "attachments") this.onAttachment(type, object as V1VolumeAttachment, receivedAt);
  }

  has(id: FailoverPhaseId): boolean {
    return this.phases.has(id);
  }

  get(id: FailoverPhaseId): FailoverPhase | undefined {
    return this.phases.get(id);
  }

  /** The phases in the order they happened. */
  list(): FailoverPhase[] {
    return [...this.phases.values()].sort((a, b) => a.sinceFaultMs - b.sinceFaultMs);
  }

  private add(phase: {
    id: FailoverPhaseId;
    detail: string;
    at: Date;
    seenAt: Date;
    source: FailoverPhase["source"];
    precision: NonNullable<FailoverPhase["atPrecision"]>;
    /** An event's emission in fractional epoch ms, for its detection gap. */
    emittedMs?: number;
    seenMs?: number;
    /** Replaces an earlier sighting of the phase that had a coarser source (an object seen, where an event tells it). */
    better?: boolean;
  }): void {
    const existing = this.phases.get(phase.id);
    if (existing && !(phase.better && existing.source !== "event")) return;
    const slack = phase.precision === "s" ? SECOND_SLACK_MS : 0;
    if (phase.at.getTime() + slack < this.faultAtMs && phase.id !== "fault-injected") return;
    const gap =
      phase.emittedMs !== undefined && phase.seenMs !== undefined
        ? { detectionGapMs: Math.round((phase.seenMs - phase.emittedMs) * 10) / 10 }
        : {};
    this.phases.set(phase.id, {
      id: phase.id,
      detail: phase.detail,
      at: phase.at.toISOString(),
      sinceFaultMs: Math.max(0, phase.at.getTime() - this.faultAtMs),
      source: phase.source,
      seenAt: phase.seenAt.toISOString(),
      atPrecision: phase.precision,
      ...gap,
    });
  }

  private onNode(node: V1Node, seenAt: Date): void {
    if (node.metadata?.name !== this.scope.node) return;
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    if (ready && ready.status !== "True" && ready.lastTransitionTime) {
      this.add({
        id: "node-not-ready",
        detail: `${this.scope.node} Ready=${ready.status} (${ready.reason ?? ""}): ${ready.message ?? ""}`,
        at: new Date(ready.lastTransitionTime),
        seenAt,
        source: "condition",
        precision: "s",
      });
    }
    for (const taint of node.spec?.taints ?? []) {
      if (taint.effect !== "NoExecute" || !UNREACHABLE_TAINTS.has(taint.key)) continue;
      this.add({
        id: "node-tainted",
        detail: `${this.scope.node} tainted ${taint.key}:${taint.effect}`,
        at: taint.timeAdded ? new Date(taint.timeAdded) : seenAt,
        seenAt,
        source: taint.timeAdded ? "taint" : "object",
        precision: taint.timeAdded ? "s" : "ms",
      });
    }
  }

  private onEvent(event: CoreV1Event, seenAt: Date): void {
    const emitted = emittedAt(event);
    if (!emitted) return;
    const about = event.involvedObject?.name ?? "";
    const text = `${event.reason}: ${event.message ?? ""}`;
    const base = {
      detail: `${text} (${event.reportingComponent || event.source?.component || "?"})`,
      at: emitted.at,
      seenAt,
      source: "event" as const,
      precision: emitted.precision,
      ...(emitted.ns !== undefined ? { emittedMs: Number(emitted.ns) / 1e6, seenMs: seenAt.getTime() } : {}),
    };
    const { oldPod } = this.scope;
    // The node-lifecycle controller tells each pod of the node when it marks the node NotReady.
    if (event.reason === "NodeNotReady" && about === oldPod) {
      this.add({ id: "node-not-ready", ...base, better: true });
      return;
    }
    // The same reason says "Cancelling deletion" when a taint goes before the pod's toleration ends.
    if (
      event.reason === "TaintManagerEviction" &&
      about === oldPod &&
      /^Marking for deletion/.test(event.message ?? "")
    ) {
      this.add({ id: "pod-evicted", ...base });
      return;
    }
    if (event.reason === "SuccessfulCreate" && event.involvedObject?.kind === "ReplicaSet") {
      const created = /Created pod: (\S+)/.exec(event.message ?? "")?.[1];
      if (created && created !== oldPod) {
        this.replacement ??= created;
        if (created === this.replacement) this.add({ id: "replacement-created", ...base, better: true });
      }
      return;
    }
    if (about === oldPod || event.involvedObject?.kind !== "Pod") return;
    this.replacement ??= about;
    if (about !== this.replacement) return;
    if (event.reason === "FailedAttachVolume" || event.reason === "FailedScheduling") {
      this.add({ id: "replacement-refused", ...base });
    } else if (event.reason === "Scheduled") {
      this.add({ id: "replacement-scheduled", ...base, better: true });
    } else if (event.reason === "SuccessfulAttachVolume") {
      this.add({ id: "new-attachment-attached", ...base, better: true });
    }
  }

  private onPod(type: Observation, pod: V1Pod, seenAt: Date): void {
    const name = pod.metadata?.name ?? "";
    if (name === this.scope.oldPod) {
      if (type === "DELETED") {
        this.add({
          id: "old-pod-gone",
          detail: `${name} removed from the API`,
          at: seenAt,
          seenAt,
          source: "object",
          precision: "ms",
        });
      }
      return;
    }
    const created = pod.metadata?.creationTimestamp;
    if (!created || new Date(created).getTime() + SECOND_SLACK_MS < this.faultAtMs) return;
    this.replacement ??= name;
    if (name !== this.replacement || type === "DELETED") return;
    this.add({
      id: "replacement-created",
      detail: `${name} created`,
      at: new Date(created),
      seenAt,
      source: "object",
      precision: "s",
    });
    const node = pod.spec?.nodeName;
    if (node) {
      this.replacementNode = node;
      this.add({
        id: "replacement-scheduled",
        detail: `${name} assigned to ${node}`,
        at: seenAt,
        seenAt,
        source: "object",
        precision: "ms",
      });
    }
    // When the suite saw it: the container's startedAt is to the second, and kwok's is no start at all.
    if (pod.status?.phase === "Running" && node && node !== this.scope.node) {
      this.add({
        id: "replacement-running",
        detail: `${name} Running on ${node}`,
        at: seenAt,
        seenAt,
        source: "object",
        precision: "ms",
      });
    }
  }

  private onAttachment(type: Observation, attachment: V1VolumeAttachment, seenAt: Date): void {
    const { volume, node } = this.scope;
    if (!volume || attachment.spec?.source?.persistentVolumeName !== volume) return;
    const name = attachment.metadata?.name ?? "";
    const on = attachment.spec?.nodeName ?? "";
    if (on === node && type === "DELETED") {
      this.add({
        id: "old-attachment-deleted",
        detail: `VolumeAttachment ${name} (${on}) deleted: detached`,
        at: seenAt,
        seenAt,
        source: "object",
        precision: "ms",
      });
    } else if (on !== node && type !== "DELETED" && attachment.status?.attached) {
      this.add({
        id: "new-attachment-attached",
        detail: `VolumeAttachment ${name} attached to ${on}`,
        at: seenAt,
        seenAt,
        source: "object",
        precision: "ms",
      });
    }
  }
}
