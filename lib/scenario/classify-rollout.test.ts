import type { CoreV1Event, KubernetesObject, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { objectKey } from "../kube/wait.ts";
import {
  admittedOn,
  type Observations,
  progressDeadlineExceeded,
  type RolloutSubject,
  rolloutProgress,
} from "./classify.ts";
import { type Recording, recording } from "./testdata/recordings.ts";
import { observationsOf } from "./watch.ts";

/**
 * The `roll` step's classifier (rolloutProgress, progressDeadlineExceeded) on
 * objects recorded from the local cluster (testdata/rollout-*.json): a
 * Deployment or StatefulSet of one replica as renderWorkload renders it, its
 * pod running on amc-node-a1, then its template patched as rolloutPatch
 * patches it (to amc-node-a2), and the namespace's pods, events, claims and
 * Deployments and the volume's VolumeAttachments read at the decisive moment.
 * Each recording keeps the pod from before the patch (`oldPod`) and the node
 * the patch sends the new pod to (`targetNode`): the roll step's subject.
 */

interface RolloutRecording extends Recording, RolloutSubject {
  deployments: V1Deployment[];
}

const rollout = (name: string) => recording(name) as RolloutRecording;
const subjectOf = (r: RolloutRecording): RolloutSubject => ({ oldPod: r.oldPod, targetNode: r.targetNode });

const byKey = (objects: readonly KubernetesObject[]) => new Map(objects.map((o) => [objectKey(o), o]));

/** What the waiter hands the classifier: the recording as a snapshot of the workloads family's sources. */
function observe(r: RolloutRecording, className: "amc-block" | "amc-local" | "amc-shared"): Observations {
  const claim = r.claims[0];
  return observationsOf(
    {
      pods: byKey(r.pods),
      events: byKey(r.events),
      claims: byKey(r.claims),
      attachments: byKey(r.attachments),
      deployments: byKey(r.deployments),
    },
    {
      namespace: claim?.metadata?.namespace ?? "",
      claim: claim?.metadata?.name ?? "",
      fidelity: "control-plane",
      // The local cluster's CSIDrivers: only amc-block attaches.
      storage: {
        csiDriver: { name: `${className}.csi.test`, attachRequired: className === "amc-block" },
        family:
          className === "amc-block" ? "attachable" : className === "amc-local" ? "node-local" : "shared",
      },
      deployments: true,
    },
  );
}

/** The pods of the recording other than the old one (by uid). */
const newPodsOf = (r: RolloutRecording): V1Pod[] => r.pods.filter((p) => p.metadata?.uid !== r.oldPod.uid);

function onlyNewPod(r: RolloutRecording): V1Pod {
  const [pod, ...more] = newPodsOf(r);
  if (!pod || more.length > 0) throw new Error(`expected one new pod, found ${newPodsOf(r).length}`);
  return pod;
}

describe("rolloutProgress: RollingUpdate (maxSurge 25%) on attachable storage (amc-block, RWO)", () => {
  const r = rollout("rollout-stall-multi-attach");
  const newPod = onlyNewPod(r);
  const newName = newPod.metadata?.name as string;

  it("stalls on the new pod's Multi-Attach while the old pod holds the volume", () => {
    const progress = rolloutProgress(observe(r, "amc-block"), subjectOf(r));
    expect(progress.decision?.outcome).toBe("rollout-stalled");
    expect(progress.decision?.event?.reason).toBe("FailedAttachVolume");
    expect(progress.decision?.event?.source?.component).toBe("attachdetach-controller");
    expect(progress.decision?.event?.involvedObject.uid).toBe(newPod.metadata?.uid);
    expect(progress.decision?.event?.message).toMatch(
      new RegExp(
        `^Multi-Attach error for volume "pvc-[0-9a-f-]+" Volume is already used by pod\\(s\\) ${r.oldPod.name}$`,
      ),
    );
    expect(progress.decision?.summary).toBe(
      `the new pod ${newName} was blocked by Multi-Attach while ${r.oldPod.name} holds the volume on amc-node-a1`,
    );
    expect(progress).toMatchObject({
      oldPodGone: false,
      oldPodLeaving: false,
      oldAttachmentGone: false,
      newAttached: false,
      newPod: newName,
    });
  });

  it("is undecided before the Multi-Attach event arrives, although kwok marks the new pod Running", () => {
    expect(newPod.spec?.nodeName).toBe("amc-node-a2");
    expect(newPod.status?.phase).toBe("Running");
    const o = observe(r, "amc-block");
    const before = { ...o, events: o.events.filter((e) => e.reason !== "FailedAttachVolume") };
    // Not admitted on simulated nodes: its volume is attached to amc-node-a1 only.
    expect(admittedOn(before, newName)).toBeUndefined();
    expect(rolloutProgress(before, subjectOf(r)).decision).toBeUndefined();
  });

  it("is no stall once the old pod terminates: it is on its way out and the volume will follow", () => {
    const o = observe(r, "amc-block");
    const old = o.pods.get(r.oldPod.name) as V1Pod;
    // Edited: the recorded old pod as the ReplicaSet's deletion leaves it (deletionTimestamp set), all else as recorded.
    const terminating: V1Pod = {
      ...old,
      metadata: {
        ...old.metadata,
        deletionTimestamp: new Date("2026-12-02T04:05:32Z"),
        deletionGracePeriodSeconds: 1,
      },
    };
    const pods = new Map(o.pods).set(r.oldPod.name, terminating);
    const progress = rolloutProgress({ ...o, pods }, subjectOf(r));
    expect(progress.decision).toBeUndefined();
    expect(progress).toMatchObject({
      oldPodGone: false,
      oldPodLeaving: true,
      oldAttachmentGone: false,
      newPod: newName,
    });
  });

  it("leaves the progress deadline unreported while the Deployment still progresses", () => {
    expect(progressDeadlineExceeded(observe(r, "amc-block"), "app")).toBeUndefined();
  });
});

describe("rolloutProgress: RollingUpdate on node-local storage (amc-local, RWO)", () => {
  const r = rollout("rollout-stall-node-affinity");
  const newName = onlyNewPod(r).metadata?.name as string;

  it("stalls at once when the scheduler refuses the new pod for the volume's node affinity", () => {
    const progress = rolloutProgress(observe(r, "amc-local"), subjectOf(r));
    expect(progress.decision?.outcome).toBe("rollout-stalled");
    const event = progress.decision?.event as CoreV1Event;
    expect(event.reason).toBe("FailedScheduling");
    expect(event.involvedObject.name).toBe(newName);
    expect(event.message).toContain("didn't match PersistentVolume's node affinity");
    expect(progress.decision?.summary).toBe(
      `the new pod ${newName} was refused by the scheduler (PV node affinity) while ${r.oldPod.name} holds the volume on amc-node-a1`,
    );
    expect(progress).toMatchObject({
      oldPodGone: false,
      oldPodLeaving: false,
      newAttached: false,
      newPod: newName,
    });
  });

  it("reports no progress deadline yet when the refusal is first seen", () => {
    const deployment = r.deployments[0];
    const progressing = deployment?.status?.conditions?.find((c) => c.type === "Progressing");
    expect(progressing).toMatchObject({ status: "True" });
    expect(progressDeadlineExceeded(observe(r, "amc-local"), "app")).toBeUndefined();
  });

  it("reports ProgressDeadlineExceeded once the Deployment says so (progressDeadlineSeconds 5)", () => {
    const later = rollout("rollout-stall-deadline");
    expect(later.deployments[0]?.spec?.progressDeadlineSeconds).toBe(5);
    const o = observe(later, "amc-local");
    const exceeded = progressDeadlineExceeded(o, "app");
    expect(exceeded?.message).toMatch(/^ReplicaSet "app-[0-9a-z]+" has timed out progressing\.$/);
    expect(exceeded?.lastTransitionTime).toBeDefined();
    // The stall itself still reads the same; another Deployment's name finds nothing.
    expect(rolloutProgress(o, subjectOf(later)).decision?.outcome).toBe("rollout-stalled");
    expect(progressDeadlineExceeded(o, "other")).toBeUndefined();
  });
});

describe("rolloutProgress: RollingUpdate on storage without attach (amc-shared, RWO)", () => {
  it("is undecided while the new pod runs on the target node and the old one still runs", () => {
    const r = rollout("rollout-overlap-shared");
    const newName = onlyNewPod(r).metadata?.name as string;
    const o = observe(r, "amc-shared");
    const progress = rolloutProgress(o, subjectOf(r));
    expect(progress.decision).toBeUndefined();
    expect(progress).toMatchObject({ oldPodGone: false, oldPodLeaving: false, newPod: newName });
    // What the roll step notes as both pods holding the volume on two nodes at once.
    expect(admittedOn(o, newName)).toBe("amc-node-a2");
    expect(admittedOn(o, r.oldPod.name)).toBe("amc-node-a1");
  });

  it("completes once the old pod is gone and the new pod runs on the target node", () => {
    const r = rollout("rollout-complete-shared");
    const newName = onlyNewPod(r).metadata?.name as string;
    const progress = rolloutProgress(observe(r, "amc-shared"), subjectOf(r));
    expect(progress.decision?.outcome).toBe("rollout-completed");
    expect(progress.decision?.summary).toBe(
      `the new pod ${newName} was admitted on amc-node-a2 and ${r.oldPod.name} is gone`,
    );
    // No VolumeAttachments on this class: none to the old node, none to the new.
    expect(progress).toMatchObject({
      oldPodGone: true,
      oldPodLeaving: true,
      oldAttachmentGone: true,
      newAttached: false,
      newPod: newName,
    });
  });
});

describe("rolloutProgress: a StatefulSet on attachable storage (amc-block, RWO)", () => {
  it("is undecided while the old app-0 terminates and no replacement exists", () => {
    const r = rollout("rollout-statefulset-terminating");
    expect(r.pods.map((p) => p.metadata?.name)).toEqual(["app-0"]);
    expect(r.pods[0]?.metadata?.deletionTimestamp).toBeDefined();
    const progress = rolloutProgress(observe(r, "amc-block"), subjectOf(r));
    expect(progress).toEqual({
      oldPodGone: false,
      oldPodLeaving: true,
      oldAttachmentGone: false,
      newAttached: false,
    });
  });

  it("completes with the new app-0, told from the old one by its uid, attached on the target node", () => {
    const r = rollout("rollout-complete-statefulset");
    const newPod = onlyNewPod(r);
    expect(newPod.metadata?.name).toBe(r.oldPod.name);
    expect(newPod.metadata?.uid).not.toBe(r.oldPod.uid);
    // The new app-0 met Multi-Attach while the old attachment was still there: no stall, the old pod was gone.
    expect(
      r.events.some(
        (e) => e.reason === "FailedAttachVolume" && e.involvedObject.uid === newPod.metadata?.uid,
      ),
    ).toBe(true);
    const progress = rolloutProgress(observe(r, "amc-block"), subjectOf(r));
    expect(progress.decision?.outcome).toBe("rollout-completed");
    expect(progress.decision?.summary).toBe(
      "the new pod app-0 was admitted on amc-node-a2 and app-0 is gone",
    );
    expect(progress).toMatchObject({
      oldPodGone: true,
      oldPodLeaving: true,
      oldAttachmentGone: true,
      newAttached: true,
      newPod: "app-0",
    });
    // A StatefulSet has no Deployment: there is no progress deadline to read.
    expect(progressDeadlineExceeded(observe(r, "amc-block"), "app")).toBeUndefined();
  });
});
