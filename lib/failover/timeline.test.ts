import type { CoreV1Event, V1Node, V1Pod, V1VolumeAttachment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { FailoverTimeline } from "./timeline.ts";

// What the suite saw of rwo-node-loss-force-delete @ amc-block on the local cluster (run
// 20261201t222910, kubelet-stopped): the fault at 22:33:00.000, the events as the controllers named
// them (the hex suffix is their UnixNano), seen a few milliseconds later.
const faultAt = Date.parse("2026-12-01T22:33:00.000Z");
const ns = "amc-rwo-node-loss-force-delete-3c5833";
const oldPod = "writer-7dc675d9bb-2vg2l";
const replacement = "writer-7dc675d9bb-mmxkc";
const volume = "pvc-f23c2a48-6182-47dc-a8a8-39e0da914836";

function event(
  reason: string,
  kind: string,
  name: string,
  message: string,
  iso: string,
  component: string,
): CoreV1Event {
  const nanos = BigInt(Date.parse(iso)) * 1_000_000n + 123_456n;
  return {
    metadata: { name: `${name}.${nanos.toString(16)}`, namespace: ns },
    involvedObject: { kind, name, namespace: ns },
    reason,
    message,
    type: reason.startsWith("Failed") ? "Warning" : "Normal",
    lastTimestamp: new Date(iso.replace(/\.\d+Z$/, "Z")),
    reportingComponent: component,
  };
}

const seen = (iso: string, ms = 30) => new Date(Date.parse(iso) + ms);

const notReadyNode: V1Node = {
  metadata: { name: "amc-node-a1" },
  spec: {
    taints: [
      {
        key: "node.kubernetes.io/unreachable",
        effect: "NoSchedule",
        timeAdded: new Date("2026-12-01T22:33:46Z"),
      },
      {
        key: "node.kubernetes.io/unreachable",
        effect: "NoExecute",
        timeAdded: new Date("2026-12-01T22:33:46Z"),
      },
    ],
  },
  status: {
    conditions: [
      {
        type: "Ready",
        status: "Unknown",
        reason: "NodeStatusUnknown",
        message: "Kubelet stopped posting node status.",
        lastTransitionTime: new Date("2026-12-01T22:33:46Z"),
      },
    ],
  },
};

const pod = (name: string, node: string, created: string, phase: string): V1Pod => ({
  metadata: { name, namespace: ns, creationTimestamp: new Date(created) },
  spec: { nodeName: node, containers: [] },
  status: { phase },
});

const attachment = (name: string, node: string, attached: boolean): V1VolumeAttachment => ({
  metadata: { name },
  spec: { attacher: "amc-block.csi.test", nodeName: node, source: { persistentVolumeName: volume } },
  status: { attached },
});

function followed(): FailoverTimeline {
  const timeline = new FailoverTimeline(faultAt, { node: "amc-node-a1", oldPod, volume });
  timeline.note("fault-injected", "amc-node-a1: kwok stops managing the node", new Date(faultAt));
  // Before the fault: the writer's own start is no phase.
  timeline.observe(
    "events",
    "LISTED",
    event(
      "Scheduled",
      "Pod",
      oldPod,
      `Successfully assigned ${ns}/${oldPod} to amc-node-a1`,
      "2026-12-01T22:32:58.175Z",
      "default-scheduler",
    ),
    seen("2026-12-01T22:32:59.000Z"),
  );
  timeline.observe(
    "pods",
    "LISTED",
    pod(oldPod, "amc-node-a1", "2026-12-01T22:32:58Z", "Running"),
    seen("2026-12-01T22:33:00.010Z"),
  );
  timeline.observe("node", "MODIFIED", notReadyNode, seen("2026-12-01T22:33:46.300Z"));
  timeline.observe(
    "events",
    "ADDED",
    event("NodeNotReady", "Pod", oldPod, "Node is not ready", "2026-12-01T22:33:46.991Z", "node-controller"),
    seen("2026-12-01T22:33:46.991Z", 12),
  );
  timeline.observe(
    "events",
    "ADDED",
    event(
      "TaintManagerEviction",
      "Pod",
      oldPod,
      `Marking for deletion Pod ${ns}/${oldPod}`,
      "2026-12-01T22:33:57.405Z",
      "taint-eviction-controller",
    ),
    seen("2026-12-01T22:33:57.405Z", 50),
  );
  timeline.note(
    "old-pod-force-deleted",
    `the suite force-deleted ${oldPod}`,
    seen("2026-12-01T22:33:57.500Z"),
  );
  timeline.observe(
    "pods",
    "DELETED",
    pod(oldPod, "amc-node-a1", "2026-12-01T22:32:58Z", "Running"),
    seen("2026-12-01T22:33:57.563Z", 0),
  );
  timeline.observe(
    "events",
    "ADDED",
    event(
      "SuccessfulCreate",
      "ReplicaSet",
      "writer-7dc675d9bb",
      `Created pod: ${replacement}`,
      "2026-12-01T22:33:57.618Z",
      "replicaset-controller",
    ),
    seen("2026-12-01T22:33:57.618Z", 21),
  );
  timeline.observe(
    "pods",
    "ADDED",
    pod(replacement, "amc-node-a2", "2026-12-01T22:33:57Z", "Pending"),
    seen("2026-12-01T22:33:57.640Z", 0),
  );
  timeline.observe(
    "attachments",
    "DELETED",
    attachment("csi-9ecf", "amc-node-a1", true),
    seen("2026-12-01T22:33:57.711Z", 0),
  );
  timeline.observe(
    "attachments",
    "MODIFIED",
    attachment("csi-54d8", "amc-node-a2", true),
    seen("2026-12-01T22:33:58.288Z", 0),
  );
  timeline.observe(
    "pods",
    "MODIFIED",
    pod(replacement, "amc-node-a2", "2026-12-01T22:33:57Z", "Running"),
    seen("2026-12-01T22:33:58.300Z", 0),
  );
  return timeline;
}

describe("the failover timeline", () => {
  const timeline = followed();
  const phases = timeline.list();

  it("puts the phases in the order the cluster went through them, each at the cluster's own time", () => {
    expect(phases.map((p) => p.id)).toEqual([
      "fault-injected",
      "node-tainted",
      "node-not-ready",
      "pod-evicted",
      "old-pod-force-deleted",
      "old-pod-gone",
      "replacement-created",
      "replacement-scheduled",
      "old-attachment-deleted",
      "new-attachment-attached",
      "replacement-running",
    ]);
    expect(timeline.replacement).toBe(replacement);
    expect(timeline.replacementNode).toBe("amc-node-a2");
  });

  it("takes an event over an object's coarser time, and measures the event's detection gap", () => {
    const notReady = timeline.get("node-not-ready");
    expect(notReady?.source).toBe("event");
    expect(notReady?.sinceFaultMs).toBe(46_991);
    expect(notReady?.detectionGapMs).toBeCloseTo(11.9, 1);
    const evicted = timeline.get("pod-evicted");
    expect(evicted?.detail).toContain("TaintManagerEviction: Marking for deletion Pod");
    expect(evicted?.detectionGapMs).toBeCloseTo(49.9, 1);
    // The taint is known to the second (timeAdded): no detection gap is claimed for it.
    expect(timeline.get("node-tainted")).toMatchObject({
      source: "taint",
      sinceFaultMs: 46_000,
      atPrecision: "s",
    });
    expect(timeline.get("node-tainted")?.detectionGapMs).toBeUndefined();
  });

  it("ignores what happened before the fault", () => {
    expect(phases.some((p) => p.detail.includes("to amc-node-a1"))).toBe(false);
    expect(timeline.get("replacement-scheduled")?.detail).toBe(`${replacement} assigned to amc-node-a2`);
  });

  it("takes the replacement's refusal from its events: Multi-Attach, or the scheduler's", () => {
    const stuck = new FailoverTimeline(faultAt, { node: "amc-node-a1", oldPod, volume });
    stuck.observe(
      "events",
      "ADDED",
      event(
        "SuccessfulCreate",
        "ReplicaSet",
        "writer-6c44b88f67",
        `Created pod: ${replacement}`,
        "2026-12-01T22:33:57.348Z",
        "replicaset-controller",
      ),
      seen("2026-12-01T22:33:57.348Z"),
    );
    stuck.observe(
      "events",
      "ADDED",
      event(
        "FailedAttachVolume",
        "Pod",
        replacement,
        `Multi-Attach error for volume "${volume}" Volume is already used by pod(s) ${oldPod}`,
        "2026-12-01T22:33:57.392Z",
        "attachdetach-controller",
      ),
      seen("2026-12-01T22:33:57.392Z", 24),
    );
    expect(stuck.get("replacement-refused")?.detail).toMatch(/^FailedAttachVolume: Multi-Attach error/);
    expect(stuck.has("replacement-running")).toBe(false);
  });
});
