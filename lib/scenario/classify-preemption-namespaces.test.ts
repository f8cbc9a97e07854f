import type { CoreV1Event, KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { objectKey } from "../kube/wait.ts";
import { admittedOn, type Observations, preempted, preemptedBeside, preemptorAfter } from "./classify.ts";
import { type Recording, recording } from "./testdata/recordings.ts";
import { observationsOf } from "./watch.ts";

/**
 * The `preempt` step's classifier beside another namespace's holder
 * (preemptedBeside, rwop-preemption-namespaces) on objects recorded from the
 * local cluster (testdata/preemption-namespaces-*.json, kube-scheduler
 * v1.36.3, class amc-shared): in the first namespace a ReadWriteOncePod claim
 * held by pod-a (low priority, amc-node-a1); in the second a claim held by
 * neighbour-pod (low priority, amc-node-a1, started a second after pod-a, as
 * the neighbour step waits for); then pod-b (high priority, amc-node-a1) in
 * the first namespace wanting the first namespace's claim. With claims of
 * one name, kube-scheduler 1.36 matches them by name alone while it
 * simulates preemption: it preempted neighbour-pod, not pod-a, and pod-b
 * stayed Pending (-wrong-victim, 10 s later -after, and -before, the same run
 * before the scheduler acted). With claims of two names (-distinct-names,
 * the control) it preempted pod-a and admitted pod-b. Each recording names
 * its holder, preemptor, neighbour's holder and the two namespaces; the
 * second namespace's pods and events are kept apart (`neighbourPods`,
 * `neighbourEvents`), as the waiter watches them.
 */

interface NamespacesRecording extends Recording {
  holder: string;
  preemptor: string;
  neighbourHolder: string;
  namespace: string;
  neighbourNamespace: string;
  neighbourPods: V1Pod[];
  neighbourEvents: CoreV1Event[];
}

const namespaces = (name: string) => recording(name) as NamespacesRecording;

const byKey = (objects: readonly KubernetesObject[]) => new Map(objects.map((o) => [objectKey(o), o]));

/**
 * What the waiter hands the classifier: the recording as a snapshot of the
 * scenario's sources, with the second namespace's pods and events when the
 * scenario watches them (`neighbour`, the default) and without them as
 * rwop-preemption's waiter has it.
 */
function observe(r: NamespacesRecording, options: { neighbour?: boolean } = {}): Observations {
  const scope = {
    namespace: r.namespace,
    claim: r.claims[0]?.metadata?.name ?? "",
    fidelity: "control-plane" as const,
    // The local cluster's CSIDriver for amc-shared: no attach.
    storage: { csiDriver: { name: "amc-shared.csi.test", attachRequired: false }, family: "shared" as const },
  };
  const sources = {
    pods: byKey(r.pods),
    events: byKey(r.events),
    claims: byKey(r.claims),
    attachments: byKey(r.attachments),
  };
  if (options.neighbour === false) return observationsOf(sources, scope);
  return observationsOf(
    {
      ...sources,
      // The snapshot's type has every source; this scenario's waiter watches no Deployments.
      deployments: new Map(),
      neighbourPods: byKey(r.neighbourPods),
      neighbourEvents: byKey(r.neighbourEvents),
    },
    { ...scope, neighbour: r.neighbourNamespace },
  );
}

const podIn = (pods: readonly V1Pod[], name: string) => pods.find((p) => p.metadata?.name === name);
const preemptedEvents = (events: readonly CoreV1Event[]) => events.filter((e) => e.reason === "Preempted");
/** The names of the claims the second namespace's provisioning events are about. */
const neighbourClaimNames = (r: NamespacesRecording) =>
  new Set(
    r.neighbourEvents
      .filter((e) => e.involvedObject.kind === "PersistentVolumeClaim")
      .map((e) => e.involvedObject.name),
  );

describe("preemptedBeside: claims of one name in two namespaces (kube-scheduler v1.36.3 preempts the other namespace's holder)", () => {
  const r = namespaces("preemption-namespaces-wrong-victim");
  const claim = r.claims[0]?.metadata?.name as string;
  const preemptorUid = podIn(r.pods, r.preemptor)?.metadata?.uid as string;

  it("records the defect: neighbour-pod preempted for pod-b, pod-a untouched, pod-b Pending", () => {
    expect([r.holder, r.preemptor, r.neighbourHolder]).toEqual(["pod-a", "pod-b", "neighbour-pod"]);
    expect(r.neighbourNamespace).not.toBe(r.namespace);
    // The other namespace's claim has the name of the claim pod-b wants.
    expect(neighbourClaimNames(r)).toEqual(new Set([claim]));
    expect(podIn(r.pods, r.preemptor)?.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName).toBe(claim);
    // The only Preempted event is neighbour-pod's, naming pod-b; neighbour-pod is already gone.
    expect(preemptedEvents(r.events)).toEqual([]);
    const [event, ...more] = preemptedEvents(r.neighbourEvents);
    expect(more).toEqual([]);
    expect(event?.involvedObject).toMatchObject({
      kind: "Pod",
      namespace: r.neighbourNamespace,
      name: r.neighbourHolder,
    });
    expect(event?.message).toBe(`Preempted by pod ${preemptorUid} on node amc-node-a1`);
    expect(event?.reportingComponent).toBe("default-scheduler");
    expect(r.neighbourPods).toEqual([]);
    const holder = podIn(r.pods, r.holder);
    expect(holder?.status?.phase).toBe("Running");
    expect(holder?.metadata?.deletionTimestamp).toBeUndefined();
    const preemptor = podIn(r.pods, r.preemptor);
    expect(preemptor?.spec?.nodeName).toBeUndefined();
    expect(preemptor?.status?.phase).toBe("Pending");
    expect(preemptor?.status?.nominatedNodeName).toBe("amc-node-a1");
  });

  it("is other-namespace-preempted, decided by the neighbour's Preempted event", () => {
    const decision = preemptedBeside(observe(r), r.holder, r.preemptor, r.neighbourHolder);
    expect(decision?.outcome).toBe("other-namespace-preempted");
    expect(decision?.summary).toContain(`${r.neighbourNamespace}/neighbour-pod`);
    expect(decision?.summary).toContain("and not pod-a");
    expect(decision?.summary).toContain("pod-b was not admitted");
    expect(decision?.summary).toBe(
      `the scheduler preempted ${r.neighbourNamespace}/neighbour-pod, whose claim has the same name in another namespace, and not pod-a, the holder of the claim pod-b wants; pod-b was not admitted`,
    );
    expect(decision?.event).toBe(preemptedEvents(r.neighbourEvents)[0]);
  });

  it("has, in the same snapshot, the preemptor nominated and refused: the state the preempt step adds", () => {
    // The scheduler nominates and refuses the preemptor in the cycle that preempts (its FailedScheduling
    // event is even older than the Preempted one), so the step needs no second wait.
    expect(preemptorAfter(observe(r), r.preemptor)).toMatch(
      /^pod-b is Pending, nominated to amc-node-a1: FailedScheduling "0\/3 nodes are available/,
    );
  });

  it("is invisible without the second namespace: plain preempted waits for pod-b, which is not admitted", () => {
    const o = observe(r, { neighbour: false });
    expect(o.neighbour).toBeUndefined();
    expect(admittedOn(o, r.preemptor)).toBeUndefined();
    expect(preempted(o, r.holder, r.preemptor)).toBeUndefined();
    expect(preemptedBeside(o, r.holder, r.preemptor, r.neighbourHolder)).toBeUndefined();
  });

  it("decides on the neighbour's deletion alone, before its Preempted event is seen", () => {
    const before = namespaces("preemption-namespaces-before");
    const neighbourPod = podIn(before.neighbourPods, before.neighbourHolder) as V1Pod;
    // Edited: the recorded neighbour-pod (from the same run, before pod-b was scheduled) as the
    // scheduler's preemption leaves it (deletionTimestamp set), all else as recorded; no Preempted event.
    const terminating: V1Pod = {
      ...neighbourPod,
      metadata: {
        ...neighbourPod.metadata,
        deletionTimestamp: new Date("2026-12-02T04:23:06Z"),
        deletionGracePeriodSeconds: 1,
      },
    };
    const decision = preemptedBeside(
      observe({ ...before, neighbourPods: [terminating] }),
      before.holder,
      before.preemptor,
      before.neighbourHolder,
    );
    expect(decision?.outcome).toBe("other-namespace-preempted");
    expect(decision?.summary).toBe(
      `the scheduler preempted ${before.neighbourNamespace}/neighbour-pod, whose claim has the same name in another namespace, and not pod-a, the holder of the claim pod-b wants; pod-b was not admitted`,
    );
    expect(decision?.event).toBeUndefined();
  });
});

describe("preemptedBeside: 10 s after the wrong preemption", () => {
  const r = namespaces("preemption-namespaces-after");

  it("records pod-b still Pending, nominated to amc-node-a1, and pod-a still Running", () => {
    const preemptor = podIn(r.pods, r.preemptor);
    expect(preemptor?.spec?.nodeName).toBeUndefined();
    expect(preemptor?.status?.phase).toBe("Pending");
    expect(preemptor?.status?.nominatedNodeName).toBe("amc-node-a1");
    // One FailedScheduling event in all: the scheduler did not go on to preempt pod-a.
    expect(r.events.filter((e) => e.reason === "FailedScheduling").map((e) => e.involvedObject.name)).toEqual(
      [r.preemptor],
    );
    expect(preemptedEvents(r.events)).toEqual([]);
    expect(podIn(r.pods, r.holder)?.status?.phase).toBe("Running");
    expect(r.neighbourPods).toEqual([]);
  });

  it("still has pod-b Pending, nominated and refused: the scheduler did not try it again", () => {
    expect(preemptorAfter(observe(r), r.preemptor)).toMatch(
      /^pod-b is Pending, nominated to amc-node-a1: FailedScheduling ".*ReadWriteOncePod access mode already in-use by another pod/,
    );
  });

  it("still reads other-namespace-preempted, with pod-b not admitted", () => {
    const o = observe(r);
    expect(admittedOn(o, r.preemptor)).toBeUndefined();
    const decision = preemptedBeside(o, r.holder, r.preemptor, r.neighbourHolder);
    expect(decision?.outcome).toBe("other-namespace-preempted");
    expect(decision?.summary).toContain("and not pod-a");
    expect(decision?.summary).toContain("pod-b was not admitted");
    expect(decision?.event).toBe(preemptedEvents(r.neighbourEvents)[0]);
  });
});

describe("preemptedBeside: before the scheduler acted on pod-b", () => {
  const r = namespaces("preemption-namespaces-before");

  it("leaves the preemptor's fate open while the scheduler has not yet nominated it", () => {
    expect(preemptorAfter(observe(r), r.preemptor)).toBeUndefined();
  });

  it("is undecided while both holders run and pod-b waits unscheduled", () => {
    expect(r.events.filter((e) => e.involvedObject.name === r.preemptor)).toEqual([]);
    expect(preemptedEvents([...r.events, ...r.neighbourEvents])).toEqual([]);
    expect(podIn(r.neighbourPods, r.neighbourHolder)?.status?.phase).toBe("Running");
    // Same run as -wrong-victim: the neighbour's pod uses a claim with the name of pod-b's.
    const claim = r.claims[0]?.metadata?.name;
    expect(
      podIn(r.neighbourPods, r.neighbourHolder)?.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName,
    ).toBe(claim);
    expect(podIn(r.pods, r.preemptor)?.status?.phase).toBe("Pending");
    expect(preemptedBeside(observe(r), r.holder, r.preemptor, r.neighbourHolder)).toBeUndefined();
    expect(preempted(observe(r, { neighbour: false }), r.holder, r.preemptor)).toBeUndefined();
  });
});

describe("preemptedBeside: claims of two names in two namespaces (the control)", () => {
  const r = namespaces("preemption-namespaces-distinct-names");
  const preemptorUid = podIn(r.pods, r.preemptor)?.metadata?.uid as string;

  it("records pod-a preempted and gone, pod-b Running, neighbour-pod untouched", () => {
    const claim = r.claims[0]?.metadata?.name as string;
    const neighbourPod = podIn(r.neighbourPods, r.neighbourHolder);
    const neighbourClaim = neighbourPod?.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName;
    expect(neighbourClaim).not.toBe(claim);
    expect(neighbourClaimNames(r)).toEqual(new Set([neighbourClaim]));
    expect(neighbourPod?.spec?.nodeName).toBe("amc-node-a1");
    expect(neighbourPod?.status?.phase).toBe("Running");
    expect(neighbourPod?.metadata?.deletionTimestamp).toBeUndefined();
    expect(preemptedEvents(r.neighbourEvents)).toEqual([]);
    expect(podIn(r.pods, r.holder)).toBeUndefined();
    expect(preemptedEvents(r.events).map((e) => [e.involvedObject.name, e.message])).toEqual([
      [r.holder, `Preempted by pod ${preemptorUid} on node amc-node-a1`],
    ]);
  });

  it("has the preemptor admitted once the scheduler is done with it", () => {
    expect(preemptorAfter(observe(r), r.preemptor)).toBe("pod-b was admitted on amc-node-a1");
  });

  it("is holder-preempted, decided by pod-a's Preempted event", () => {
    const decision = preemptedBeside(observe(r), r.holder, r.preemptor, r.neighbourHolder);
    expect(decision?.outcome).toBe("holder-preempted");
    expect(decision?.summary).toBe("the scheduler preempted pod-a and admitted pod-b on amc-node-a1");
    expect(decision?.event).toBe(preemptedEvents(r.events)[0]);
  });

  it("reads the same without the second namespace (plain preempted)", () => {
    const beside = preemptedBeside(observe(r), r.holder, r.preemptor, r.neighbourHolder);
    const o = observe(r, { neighbour: false });
    expect(o.neighbour).toBeUndefined();
    expect(preempted(o, r.holder, r.preemptor)).toEqual(beside);
    expect(preemptedBeside(o, r.holder, r.preemptor, r.neighbourHolder)).toEqual(beside);
  });
});
