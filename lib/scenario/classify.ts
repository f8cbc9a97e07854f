import type {
  CoreV1Event,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import type { Fidelity } from "../cluster/fidelity.ts";
import type { Outcome } from "./types.ts";

/**
 * Pure functions from what the control plane shows (objects and events) to
 * what it decided. They are asked again after every change the waiter sees
 * and answer `undefined` until the evidence is decisive.
 *
 * On real kubelets a pod's own status is the strongest evidence. On simulated
 * nodes (fidelity control-plane) kwok marks every pod Running whatever its
 * volumes, so there the decision is the control plane's: the scheduler's
 * binding and events, and, for storage that attaches, the attach/detach
 * controller's VolumeAttachments and events.
 */

/** Stable parts of upstream messages (docs/scenarios.md, "The upstream messages it matches", says where upstream writes each); the full text is kept as evidence. */
export const messages = {
  multiAttach: /Multi-Attach error/,
  /** Kubernetes < 1.33 wrote "volume node affinity conflict"; 1.33+ "didn't match PersistentVolume's node affinity". */
  nodeAffinityConflict: /volume node affinity conflict|didn't match PersistentVolume's node affinity/,
  /** Reworded by kubernetes/kubernetes#129145; both wordings name the access mode. */
  rwopScheduler: /ReadWriteOncePod/,
  rwopKubelet: /ReadWriteOncePod access mode and is already in use by another pod/,
  /** csi-lib-utils accessmodes: a PV's modes that map to no one CSI mode ("CSI does not support ReadOnlyMany and ReadWriteOnce ..."). */
  csiAccessModes: /CSI does not support|does not support use of ReadWriteOncePod with other access modes/,
  /** A driver refusing a volume capability it does not offer at attach or mount (InvalidArgument, FailedPrecondition). */
  capabilityRefused:
    /does not support access mode|access mode .* not supported|unsupported access mode|unsupported volume capability/i,
} as const;

/**
 * The driver refused, at attach or at mount, a capability of the pod's volume
 * (an access mode it does not serve): what a re-bound ReadOnlyMany volume
 * meets on a class without ReadOnlyMany, since its provisioner never saw it.
 */
export function capabilityRefusal(observations: Observations, pod: string): CoreV1Event | undefined {
  return eventsAbout(observations.events, "Pod", pod).find(
    (e) =>
      (e.reason === "FailedAttachVolume" || e.reason === "FailedMount" || e.reason === "FailedMapVolume") &&
      messages.capabilityRefused.test(e.message ?? "") &&
      !messages.csiAccessModes.test(e.message ?? ""),
  );
}

export interface Observations {
  fidelity: Fidelity;
  /** Whether volumes of this class are attached to nodes (CSIDriver attachRequired). */
  attachRequired: boolean;
  pods: ReadonlyMap<string, V1Pod>;
  events: readonly CoreV1Event[];
  attachments: readonly V1VolumeAttachment[];
  claim?: V1PersistentVolumeClaim;
  /** The namespace's Deployments, by name (watched by the workloads family only). */
  deployments?: ReadonlyMap<string, V1Deployment>;
  /** A second namespace's pods and events (rwop-preemption-namespaces). */
  neighbour?: { namespace: string; pods: ReadonlyMap<string, V1Pod>; events: readonly CoreV1Event[] };
}

export interface Decision {
  outcome: Outcome;
  summary: string;
  /** The event that decided it, when an event did. */
  event?: CoreV1Event;
}

export function eventsAbout(events: readonly CoreV1Event[], kind: string, name: string): CoreV1Event[] {
  return events.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name);
}

function firstMatching(
  events: readonly CoreV1Event[],
  reason: string,
  pattern: RegExp,
): CoreV1Event | undefined {
  return events.find((e) => e.reason === reason && pattern.test(e.message ?? ""));
}

function isRunning(pod: V1Pod | undefined): boolean {
  return pod?.status?.phase === "Running";
}

function attachedTo(observations: Observations, node: string): V1VolumeAttachment | undefined {
  const volume = observations.claim?.spec?.volumeName;
  return observations.attachments.find(
    (va) =>
      va.spec.source.persistentVolumeName === volume &&
      va.spec.nodeName === node &&
      va.status?.attached === true,
  );
}

/**
 * Whether the pod is admitted: bound to a node and, on real kubelets,
 * Running; on simulated nodes, with its volume attached to that node when
 * the class attaches (kwok's Running says nothing about volumes).
 */
export function admittedOn(observations: Observations, podName: string): string | undefined {
  const pod = observations.pods.get(podName);
  const node = pod?.spec?.nodeName;
  if (!node || !isRunning(pod)) return undefined;
  if (observations.fidelity === "full") return node;
  if (observations.attachRequired && !attachedTo(observations, node)) return undefined;
  return node;
}

/**
 * A ProvisioningFailed message that will not change on retry: external-provisioner's
 * "infeasible" errors (InvalidArgument and the like from the driver), or a
 * provisioner naming the access mode it refuses (local-path). Anything else
 * (a timeout, a quota, a restart) may still succeed, so it is waited out.
 */
export function isFinalProvisioningFailure(message: string): boolean {
  return /infeasible|InvalidArgument|access ?modes?\b|ReadWriteOncePod|ReadWriteMany|ReadOnlyMany|not support/i.test(
    message,
  );
}

/** The provisioner refused the claim for good (ProvisioningFailed): the class cannot offer this access mode. */
export function provisioningRefusal(observations: Observations): CoreV1Event | undefined {
  const name = observations.claim?.metadata?.name;
  if (!name || observations.claim?.status?.phase === "Bound") return undefined;
  return eventsAbout(observations.events, "PersistentVolumeClaim", name).find(
    (e) => e.reason === "ProvisioningFailed" && isFinalProvisioningFailure(e.message ?? ""),
  );
}

/** The `decide` step: what the control plane did with `subject` while `holder` holds the volume. */
export function decide(observations: Observations, subject: string, holder: string): Decision | undefined {
  const events = eventsAbout(observations.events, "Pod", subject);
  const rwop = firstMatching(events, "FailedScheduling", messages.rwopScheduler);
  if (rwop)
    return { outcome: "rwop-scheduler-rejected", summary: `the scheduler refused ${subject}`, event: rwop };
  const affinity = firstMatching(events, "FailedScheduling", messages.nodeAffinityConflict);
  if (affinity)
    return {
      outcome: "node-affinity-conflict",
      summary: `the scheduler refused ${subject}`,
      event: affinity,
    };
  const multiAttach = firstMatching(events, "FailedAttachVolume", messages.multiAttach);
  if (multiAttach) {
    return {
      outcome: "multi-attach-blocked",
      summary: `the attach/detach controller blocked ${subject}`,
      event: multiAttach,
    };
  }
  const modes = firstMatching(events, "FailedAttachVolume", messages.csiAccessModes);
  if (modes) {
    return {
      outcome: "attach-refused",
      summary: `the external-attacher refused to attach ${subject}'s volume for its access modes (reported by the attach/detach controller)`,
      event: modes,
    };
  }
  // A filesystem volume is refused at its mount (FailedMount), a raw block one at its map (FailedMapVolume).
  const kubelet =
    firstMatching(events, "FailedMount", messages.rwopKubelet) ??
    firstMatching(events, "FailedMapVolume", messages.rwopKubelet);
  if (kubelet)
    return { outcome: "rwop-kubelet-rejected", summary: `the kubelet refused ${subject}`, event: kubelet };

  const node = admittedOn(observations, subject);
  if (!node) return undefined;
  const holderNode = observations.pods.get(holder)?.spec?.nodeName;
  const bothAttached =
    holderNode !== undefined && attachedTo(observations, holderNode) && attachedTo(observations, node);
  if (observations.attachRequired && holderNode !== node && bothAttached) {
    return {
      outcome: "attached-to-two-nodes",
      summary: `the volume is attached to ${holderNode} (${holder}) and ${node} (${subject}) at once`,
    };
  }
  const how =
    observations.fidelity === "full" ? "running" : "scheduled, and its volume attached where needed";
  const beside = observations.pods.has(holder) ? ` next to ${holder}` : "";
  return { outcome: "admitted", summary: `${subject} was admitted on ${node}${beside} (${how})` };
}

export interface HandoverProgress {
  /** When the holder pod was last seen gone, and when the attachment to its node was. */
  holderGone: boolean;
  oldAttachmentGone: boolean;
}

/** The `hand-over` step: the holder is gone and the waiting pod is admitted on its own node. */
export function handedOver(
  observations: Observations,
  holder: string,
  holderNode: string,
  waiting: string,
): (Decision & HandoverProgress) | HandoverProgress {
  const holderGone = !observations.pods.has(holder);
  const volume = observations.claim?.spec?.volumeName;
  // Before the claim is seen no attachment is known to be the volume's: nothing is gone yet (a
  // first look without it noted the detach before the holder went, a negative detach time).
  const oldAttachmentGone =
    volume !== undefined &&
    !observations.attachments.some(
      (va) => va.spec.source.persistentVolumeName === volume && va.spec.nodeName === holderNode,
    );
  const node = admittedOn(observations, waiting);
  if (!holderGone || !node || node === holderNode) return { holderGone, oldAttachmentGone };
  return {
    holderGone,
    oldAttachmentGone,
    outcome: "handed-over",
    summary: `after ${holder} went, the volume moved from ${holderNode} to ${node} and ${waiting} was admitted`,
  };
}

/**
 * The `preempt` step: the holder was preempted (or is gone) and the preemptor
 * is admitted; or the preemptor was admitted beside a holder still there.
 */
export function preempted(
  observations: Observations,
  holder: string,
  preemptor: string,
): Decision | undefined {
  const preemption = eventsAbout(observations.events, "Pod", holder).find((e) => e.reason === "Preempted");
  const holderGone =
    !observations.pods.has(holder) || observations.pods.get(holder)?.metadata?.deletionTimestamp;
  const node = admittedOn(observations, preemptor);
  if (!node) return undefined;
  if (!(preemption || holderGone)) {
    // Admitted while the holder still holds the claim: ReadWriteOncePod was not enforced.
    return {
      outcome: "admitted",
      summary: `${preemptor} was admitted on ${node} while ${holder} still holds the claim`,
    };
  }
  return {
    outcome: "holder-preempted",
    summary: `the scheduler preempted ${holder} and admitted ${preemptor} on ${node}`,
    ...(preemption ? { event: preemption } : {}),
  };
}

/** A rollout under way: the pod it replaces, and the node the change sends the new pod to. */
export interface RolloutSubject {
  oldPod: { name: string; uid: string; node: string };
  targetNode: string;
}

export interface RolloutProgress {
  /** No pod with the old pod's uid is left. */
  oldPodGone: boolean;
  /** The old pod is being deleted (or gone): it no longer holds the volume for good. */
  oldPodLeaving: boolean;
  /** The volume's attachment to the old pod's node is gone (meaningful on attachable storage). */
  oldAttachmentGone: boolean;
  /** The volume is attached to the target node (where it is another node than the old one). */
  newAttached: boolean;
  /** The replacement pod, once created (a StatefulSet's has the old pod's name, not its uid). */
  newPod?: string;
  /** Set once the rollout completed or stalled. */
  decision?: Decision;
}

/**
 * The `roll` step: whether the workload's update completed (a new pod
 * admitted on the target node, the old pod gone) or stalled (the new pod kept
 * from the volume). A node-affinity refusal never changes, so it is a stall
 * at once. Multi-Attach and a ReadWriteOncePod refusal are a stall only
 * while the old pod holds the volume and is not on its way out: a rollout
 * that stops the old pod first (Recreate, maxSurge 0, a StatefulSet) may meet
 * either for a moment while the old pod terminates and its volume detaches.
 */
export function rolloutProgress(observations: Observations, subject: RolloutSubject): RolloutProgress {
  const { oldPod, targetNode } = subject;
  const pods = [...observations.pods.values()];
  const old = pods.find((p) => p.metadata?.uid === oldPod.uid);
  const oldHolds = old !== undefined && !old.metadata?.deletionTimestamp;
  const newPods = pods.filter((p) => p.metadata?.uid !== oldPod.uid && !p.metadata?.deletionTimestamp);
  const newPod = newPods[0]?.metadata?.name;
  const volume = observations.claim?.spec?.volumeName;
  const attachment = (node: string) =>
    observations.attachments.find(
      (va) => va.spec.source.persistentVolumeName === volume && va.spec.nodeName === node,
    );
  const progress: RolloutProgress = {
    oldPodGone: old === undefined,
    oldPodLeaving: !oldHolds,
    oldAttachmentGone: volume !== undefined && !attachment(oldPod.node),
    newAttached: attachment(targetNode)?.status?.attached === true,
    ...(newPod ? { newPod } : {}),
  };
  const newUids = new Set(newPods.map((p) => p.metadata?.uid));
  const aboutNew = observations.events.filter(
    (e) => e.involvedObject.kind === "Pod" && newUids.has(e.involvedObject.uid),
  );
  const affinity = firstMatching(aboutNew, "FailedScheduling", messages.nodeAffinityConflict);
  const rwop = firstMatching(aboutNew, "FailedScheduling", messages.rwopScheduler);
  const multiAttach = firstMatching(aboutNew, "FailedAttachVolume", messages.multiAttach);
  const blocking = affinity ?? (oldHolds ? (rwop ?? multiAttach) : undefined);
  if (blocking) {
    const pod = blocking.involvedObject.name ?? "the new pod";
    const how =
      blocking === multiAttach
        ? "blocked by Multi-Attach"
        : blocking === affinity
          ? "refused by the scheduler (PV node affinity)"
          : "refused by the scheduler (ReadWriteOncePod)";
    const holder = oldHolds ? ` while ${oldPod.name} holds the volume on ${oldPod.node}` : "";
    return {
      ...progress,
      decision: {
        outcome: "rollout-stalled",
        summary: `the new pod ${pod} was ${how}${holder}`,
        event: blocking,
      },
    };
  }
  const admittedPod = newPods.find(
    (p) => p.metadata?.name && admittedOn(observations, p.metadata.name) === targetNode,
  );
  if (admittedPod && progress.oldPodGone) {
    return {
      ...progress,
      decision: {
        outcome: "rollout-completed",
        summary: `the new pod ${admittedPod.metadata?.name} was admitted on ${targetNode} and ${oldPod.name} is gone`,
      },
    };
  }
  return progress;
}

/** The Deployment's Progressing condition once it says the rollout exceeded its progress deadline. */
export function progressDeadlineExceeded(
  observations: Observations,
  deployment: string,
): { message: string; lastTransitionTime?: string } | undefined {
  const condition = observations.deployments
    ?.get(deployment)
    ?.status?.conditions?.find((c) => c.type === "Progressing");
  if (condition?.status !== "False" || condition.reason !== "ProgressDeadlineExceeded") return undefined;
  return {
    message: condition.message ?? "",
    // Typed a Date by the client, but a watch hands over the JSON string.
    ...(condition.lastTransitionTime ? { lastTransitionTime: String(condition.lastTransitionTime) } : {}),
  };
}

/**
 * The `preempt` step beside another namespace's holder of a claim with the
 * same name (rwop-preemption-namespaces): that holder preempted (its
 * Preempted event, or its deletion) is the outcome, whatever else happened;
 * otherwise as `preempted`.
 */
export function preemptedBeside(
  observations: Observations,
  holder: string,
  preemptor: string,
  neighbourHolder: string,
): Decision | undefined {
  const neighbour = observations.neighbour;
  if (neighbour) {
    const event = eventsAbout(neighbour.events, "Pod", neighbourHolder).find((e) => e.reason === "Preempted");
    const pod = neighbour.pods.get(neighbourHolder);
    if (event || !pod || pod.metadata?.deletionTimestamp) {
      const holderPod = observations.pods.get(holder);
      const holderHit =
        eventsAbout(observations.events, "Pod", holder).some((e) => e.reason === "Preempted") ||
        !holderPod ||
        holderPod.metadata?.deletionTimestamp !== undefined;
      const node = admittedOn(observations, preemptor);
      return {
        outcome: "other-namespace-preempted",
        summary: `the scheduler preempted ${neighbour.namespace}/${neighbourHolder}, whose claim has the same name in another namespace, ${holderHit ? `as well as ${holder}` : `and not ${holder}, the holder of the claim ${preemptor} wants`}; ${preemptor} ${node ? `was admitted on ${node}` : "was not admitted"}`,
        ...(event ? { event } : {}),
      };
    }
  }
  return preempted(observations, holder, preemptor);
}

/**
 * The preemptor's state as the scheduler left it: admitted, or nominated to a
 * node with its FailedScheduling event (the scheduler writes both in the
 * cycle that preempts); undefined before either.
 */
export function preemptorAfter(observations: Observations, preemptor: string): string | undefined {
  const node = admittedOn(observations, preemptor);
  if (node) return `${preemptor} was admitted on ${node}`;
  const pod = observations.pods.get(preemptor);
  const nominated = pod?.status?.nominatedNodeName;
  const refused = eventsAbout(observations.events, "Pod", preemptor).findLast(
    (e) => e.reason === "FailedScheduling",
  );
  if (!nominated || !refused) return undefined;
  return `${preemptor} is Pending, nominated to ${nominated}: FailedScheduling "${refused.message ?? ""}"`;
}
