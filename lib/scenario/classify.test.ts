import type { CoreV1Event, V1Pod, V1VolumeAttachment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  admittedOn,
  decide,
  handedOver,
  isFinalProvisioningFailure,
  preempted,
  provisioningRefusal,
} from "./classify.ts";
import { scenarioById } from "./scenarios.ts";
import { observe, recording } from "./testdata/recordings.ts";
import type { StorageProfile } from "./types.ts";
import { judge } from "./verdict.ts";

/**
 * The classifier and verdict rules on objects and events recorded from the
 * local cluster (testdata/*.json: `kubectl get -o json` of a scenario's
 * namespace after the control plane decided).
 */

const withMessage = (event: CoreV1Event, message: string): CoreV1Event => ({ ...event, message });

describe("decide: the second pod on attachable storage (ReadWriteOnce, another node)", () => {
  const r = recording("rwo-cross-block");

  it("is blocked by Multi-Attach, with the attach/detach controller's event as evidence", () => {
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("multi-attach-blocked");
    expect(decision?.event?.source?.component).toBe("attachdetach-controller");
    expect(decision?.event?.message).toMatch(
      /^Multi-Attach error for volume "pvc-[0-9a-f-]+" Volume is already used by pod\(s\) pod-a$/,
    );
  });

  it("is decided from a Multi-Attach event that existed before the wait began (it is emitted once)", () => {
    // The waiter lists before it watches: the first decision sees only what the list returned.
    const listedOnly = observe(r, { attachRequired: true });
    expect(decide(listedOnly, "pod-b", "pod-a")?.outcome).toBe("multi-attach-blocked");
  });

  it("is undecided while the event has not arrived, although kwok marks pod B Running", () => {
    const podB = r.pods.find((p) => p.metadata?.name === "pod-b");
    expect(podB?.status?.phase).toBe("Running");
    const before = r.events.filter((e) => e.reason !== "FailedAttachVolume");
    expect(decide(observe(r, { attachRequired: true, events: before }), "pod-b", "pod-a")).toBeUndefined();
  });

  it("takes pod B's Running phase as admission on real kubelets, where it is real", () => {
    // The recording's Running is kwok's; on a full-fidelity cluster the kubelet sets it only after mounting.
    const before = r.events.filter((e) => e.reason !== "FailedAttachVolume");
    const full = decide(
      observe(r, { attachRequired: true, events: before, fidelity: "full" }),
      "pod-b",
      "pod-a",
    );
    expect(full?.outcome).toBe("admitted");
  });

  it("reports a volume attached to both nodes at once as such", () => {
    const held = r.attachments[0] as V1VolumeAttachment;
    const second: V1VolumeAttachment = { ...held, spec: { ...held.spec, nodeName: "amc-node-a2" } };
    const before = r.events.filter((e) => e.reason !== "FailedAttachVolume");
    const both = { ...observe(r, { attachRequired: true, events: before }), attachments: [held, second] };
    expect(decide(both, "pod-b", "pod-a")?.outcome).toBe("attached-to-two-nodes");
  });

  it("also matches the other Multi-Attach wording", () => {
    const event = r.events.find((e) => e.reason === "FailedAttachVolume") as CoreV1Event;
    const exclusive = withMessage(
      event,
      'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached to one node and can\'t be attached to another',
    );
    const decision = decide(observe(r, { attachRequired: true, events: [exclusive] }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("multi-attach-blocked");
  });
});

describe("decide: the second pod on node-local storage (another node)", () => {
  const r = recording("rwo-cross-local");

  it("is refused by the scheduler for the volume's node affinity", () => {
    const decision = decide(observe(r, { attachRequired: false }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("node-affinity-conflict");
    expect(decision?.event?.message).toContain("didn't match PersistentVolume's node affinity");
  });

  it("recognises the wording of Kubernetes before 1.33", () => {
    const event = r.events.find((e) => e.reason === "FailedScheduling") as CoreV1Event;
    const old = withMessage(
      event,
      "0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector.",
    );
    const decision = decide(observe(r, { attachRequired: false, events: [old] }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("node-affinity-conflict");
  });
});

describe("decide: the second pod on storage without attach (another node)", () => {
  it("is admitted: nothing enforces ReadWriteOnce across nodes there", () => {
    const r = recording("rwo-cross-shared");
    const decision = decide(observe(r, { attachRequired: false }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("admitted");
    expect(decision?.summary).toContain("amc-node-a2");
  });
});

describe("decide: a second pod on a ReadWriteOncePod claim", () => {
  const r = recording("rwop-same");

  it("is refused by the scheduler, with the current wording", () => {
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("rwop-scheduler-rejected");
    expect(decision?.event?.message).toContain(
      "unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod",
    );
  });

  it("is refused by the scheduler, with the wording before kubernetes/kubernetes#129145", () => {
    const event = r.events.find((e) => e.reason === "FailedScheduling") as CoreV1Event;
    const old = withMessage(
      event,
      "0/3 nodes are available: 1 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode.",
    );
    expect(decide(observe(r, { attachRequired: true, events: [old] }), "pod-b", "pod-a")?.outcome).toBe(
      "rwop-scheduler-rejected",
    );
  });

  it("is refused by the kubelet when it bypassed the scheduler", () => {
    const event = r.events.find((e) => e.reason === "FailedScheduling") as CoreV1Event;
    const mount: CoreV1Event = {
      ...event,
      reason: "FailedMount",
      source: { component: "kubelet" },
      message:
        "Unable to attach or mount volumes: volume uses the ReadWriteOncePod access mode and is already in use by another pod",
    };
    expect(decide(observe(r, { attachRequired: true, events: [mount] }), "pod-b", "pod-a")?.outcome).toBe(
      "rwop-kubelet-rejected",
    );
  });
});

describe("admission of the first pod", () => {
  it("needs the volume attached to its node on simulated nodes when the class attaches", () => {
    const r = recording("rwo-cross-block");
    expect(admittedOn(observe(r, { attachRequired: true }), "pod-a")).toBe("amc-node-a1");
    const detached = { ...observe(r, { attachRequired: true }), attachments: [] };
    expect(admittedOn(detached, "pod-a")).toBeUndefined();
  });

  it("sees a refused access mode in the provisioner's event", () => {
    const r = recording("rwx-block");
    const refusal = provisioningRefusal(observe(r, { attachRequired: true }));
    expect(refusal?.message).toContain(
      "does not support access mode MULTI_NODE_MULTI_WRITER (Kubernetes ReadWriteMany)",
    );
  });
});

describe("provisioning failures", () => {
  it("are final when the provisioner calls them infeasible or names the access mode", () => {
    const refusal = recording("rwx-block").events.find((e) => e.reason === "ProvisioningFailed");
    expect(isFinalProvisioningFailure(refusal?.message ?? "")).toBe(true);
    expect(
      isFinalProvisioningFailure(
        "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes",
      ),
    ).toBe(true);
  });

  it("are waited out when they may pass (a timeout, a quota, a restart)", () => {
    expect(
      isFinalProvisioningFailure("rpc error: code = DeadlineExceeded desc = context deadline exceeded"),
    ).toBe(false);
    expect(
      isFinalProvisioningFailure("error generating accessibility requirements: no available topology found"),
    ).toBe(false);
  });
});

describe("hand-over", () => {
  it("completes when the holder is gone and the volume is attached to the waiting pod's node", () => {
    const r = recording("rwo-handoff-after");
    const result = handedOver(observe(r, { attachRequired: true }), "pod-a", "amc-node-a1", "pod-b");
    expect(result).toMatchObject({ outcome: "handed-over", holderGone: true, oldAttachmentGone: true });
  });

  it("does not take the old attachment for gone before the claim (its volume) is seen", () => {
    const r = recording("rwo-cross-block");
    const { claim: _claim, ...withoutClaim } = observe(r, { attachRequired: true });
    const result = handedOver({ ...withoutClaim }, "pod-a", "amc-node-a1", "pod-b");
    expect(result).toEqual({ holderGone: false, oldAttachmentGone: false });
  });

  it("is not complete while the holder still runs", () => {
    const r = recording("rwo-cross-block");
    const result = handedOver(observe(r, { attachRequired: true }), "pod-a", "amc-node-a1", "pod-b");
    expect(result).toEqual({ holderGone: false, oldAttachmentGone: false });
  });
});

describe("preemption", () => {
  it("preempts the lower-priority holder and admits the new pod", () => {
    const r = recording("rwop-preemption");
    const decision = preempted(observe(r, { attachRequired: true }), "pod-a", "pod-b");
    expect(decision?.outcome).toBe("holder-preempted");
  });

  it("reports the new pod admitted beside a holder that was never preempted (RWOP not enforced)", () => {
    const r = recording("rwop-same");
    const holderAndB = r.pods.map((p) =>
      p.metadata?.name === "pod-b"
        ? { ...p, spec: { ...p.spec, nodeName: "amc-node-a1" }, status: { ...p.status, phase: "Running" } }
        : p,
    ) as V1Pod[];
    const decision = preempted(
      observe(r, { attachRequired: true, pods: holderAndB, events: [] }),
      "pod-a",
      "pod-b",
    );
    expect(decision?.outcome).toBe("admitted");
  });

  it("is undecided while the holder runs and the new pod waits", () => {
    const r = recording("rwop-same");
    expect(preempted(observe(r, { attachRequired: true }), "pod-a", "pod-b")).toBeUndefined();
  });
});

describe("verdicts", () => {
  const profile = (family: StorageProfile["family"]): StorageProfile => ({
    className: `class-${family}`,
    provisioner: "p.example",
    volumeBindingMode: "Immediate",
    family,
    familyReason: "recorded",
    probe: { provisioned: false, message: "not probed" },
  });
  const crossNode = scenarioById("rwo-cross-node");
  if (!crossNode) throw new Error("rwo-cross-node is missing");

  it("conform when the control plane did what the family predicts", () => {
    const r = recording("rwo-cross-block");
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(judge(crossNode.expect(profile("attachable")), decision).verdict).toBe("conforms");
  });

  it("deviate when it did something else, saying both", () => {
    const r = recording("rwo-cross-shared");
    const decision = decide(observe(r, { attachRequired: false }), "pod-b", "pod-a");
    const judged = judge(crossNode.expect(profile("attachable")), decision);
    expect(judged.verdict).toBe("deviates");
    expect(judged.reason).toMatch(
      /^expected blocked by Multi-Attach .*, observed admitted: pod-b was admitted on amc-node-a2/,
    );
  });

  it("report RWO not enforced across nodes on storage without attach as a finding", () => {
    const r = recording("rwo-cross-shared");
    const decision = decide(observe(r, { attachRequired: false }), "pod-b", "pod-a");
    const judged = judge(crossNode.expect(profile("shared")), decision);
    expect(judged).toEqual({
      verdict: "finding",
      reason: "RWO is not enforced across nodes on class-shared: two pods on two nodes use the same volume",
    });
  });

  it("call a timeout inconclusive, never a pass or a fail", () => {
    const judged = judge(
      crossNode.expect(profile("attachable")),
      undefined,
      "timed out after 120000 ms waiting for the decision",
    );
    expect(judged).toEqual({
      verdict: "inconclusive",
      reason: "timed out after 120000 ms waiting for the decision",
    });
  });

  it("call a later wait that timed out inconclusive, keeping what an earlier step observed", () => {
    const handoff = scenarioById("rwo-handoff");
    if (!handoff) throw new Error("rwo-handoff is missing");
    const r = recording("rwo-cross-block");
    const blocked = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    const judged = judge(
      handoff.expect(profile("attachable")),
      blocked,
      "timed out after 480000 ms waiting for the volume to move",
    );
    expect(judged.verdict).toBe("inconclusive");
    expect(judged.reason).toMatch(/^timed out after 480000 ms .*; before that: blocked by Multi-Attach/);
  });

  it("call an unknown family inconclusive and a scenario the class cannot run not applicable", () => {
    expect(judge(crossNode.expect(profile("unknown")), undefined).verdict).toBe("inconclusive");
    const handoff = scenarioById("rwo-handoff");
    expect(handoff && judge(handoff.expect(profile("shared")), undefined).verdict).toBe("not-applicable");
  });
});
