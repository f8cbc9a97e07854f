import type {
  CoreV1Event,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import type { Fidelity } from "../cluster/fidelity.ts";
import type { Kube } from "../kube/client.ts";
import { resources } from "../kube/resources.ts";
import { openView, type Snapshot, type Source, type View } from "../kube/wait.ts";
import { heartbeat } from "../progress.ts";
import type { Observations } from "./classify.ts";
import { attachmentState, type EventLog, podState } from "./evidence.ts";
import type { ObjectEvidence, StorageProfile } from "./types.ts";

/**
 * A scenario's wait: the one waiter (lib/kube/wait.ts) over the scenario's
 * namespace (pods, events, its claim) and the cluster's VolumeAttachments,
 * turned into what the classifier reads (classify.ts, Observations).
 */

type Sources =
  | "pods"
  | "events"
  | "claims"
  | "attachments"
  | "deployments"
  | "neighbourPods"
  | "neighbourEvents";

/** Waits until `until` answers (not undefined), or throws WaitTimeoutError after `timeoutMs`. */
export type Waiter = <R>(
  what: string,
  timeoutMs: number,
  until: (observations: Observations) => R | undefined,
) => Promise<R>;

export interface ObservedScope {
  namespace: string;
  claim: string;
  fidelity: Fidelity;
  storage: Pick<StorageProfile, "csiDriver" | "family">;
  /** Watch the namespace's Deployments too (the workloads family's rollouts). */
  deployments?: boolean;
  /** A second namespace of the scenario whose pods and events are watched too (rwop-preemption-namespaces). */
  neighbour?: string;
}

/** Whether the class's volumes are attached to nodes: its CSIDriver says, else its family. */
export function attachRequiredOf(storage: Pick<StorageProfile, "csiDriver" | "family">): boolean {
  return storage.csiDriver?.attachRequired ?? storage.family === "attachable";
}

/** What the classifier reads from a snapshot: the claim, the namespace's pods and events, the claim's volume's attachments. */
export function observationsOf(
  snapshot:
    | Snapshot<Sources>
    | Snapshot<Exclude<Sources, "deployments" | "neighbourPods" | "neighbourEvents">>,
  scope: ObservedScope,
): Observations {
  const claim = snapshot.claims.get(`${scope.namespace}/${scope.claim}`) as
    | V1PersistentVolumeClaim
    | undefined;
  const volume = claim?.spec?.volumeName;
  const pods = new Map([...snapshot.pods.values()].map((p) => [p.metadata?.name ?? "", p as V1Pod]));
  return {
    fidelity: scope.fidelity,
    attachRequired: attachRequiredOf(scope.storage),
    pods,
    events: [...snapshot.events.values()] as CoreV1Event[],
    attachments: ([...snapshot.attachments.values()] as V1VolumeAttachment[]).filter(
      (va) => volume !== undefined && va.spec.source.persistentVolumeName === volume,
    ),
    ...(claim ? { claim } : {}),
    ...("deployments" in snapshot
      ? {
          deployments: new Map(
            [...snapshot.deployments.values()].map((d) => [d.metadata?.name ?? "", d as V1Deployment]),
          ),
        }
      : {}),
    ...(scope.neighbour && "neighbourPods" in snapshot
      ? {
          neighbour: {
            namespace: scope.neighbour,
            pods: new Map(
              [...snapshot.neighbourPods.values()].map((p) => [p.metadata?.name ?? "", p as V1Pod]),
            ),
            events: [...snapshot.neighbourEvents.values()] as CoreV1Event[],
          },
        }
      : {}),
  };
}

/** A scenario's watches and the waits put to them. */
export interface ScenarioWatch {
  wait: Waiter;
  /** Stops the watches: at the scenario's end, before its clean-up. */
  close(): void;
}

/**
 * The scenario's waiter: one view of its sources (lib/kube/wait.ts, openView),
 * opened at the first wait and kept until the scenario ends, so that the
 * sources are listed once and every wait after the first decides on events
 * already watched. It keeps every event seen (in `events`), and the pods' and
 * attachments' states when a wait ends (in `objects`), as evidence.
 */
export function scenarioWatch(options: {
  kube: Kube;
  scope: ObservedScope;
  /** For the heartbeat lines: "<scenario>@<class>". */
  label: string;
  signal?: AbortSignal | undefined;
  events: EventLog;
  objects: ObjectEvidence[];
  now: () => number;
}): ScenarioWatch {
  const { kube, scope, label, signal, events, objects, now } = options;
  const sources: Partial<Record<Sources, Source>> = {
    pods: { resource: resources.pods, namespace: scope.namespace },
    events: { resource: resources.events, namespace: scope.namespace },
    claims: { resource: resources.persistentVolumeClaims, namespace: scope.namespace },
    attachments: { resource: resources.volumeAttachments },
    // Only the scenarios that need them pay for another watch.
    ...(scope.deployments
      ? { deployments: { resource: resources.deployments, namespace: scope.namespace } }
      : {}),
    ...(scope.neighbour
      ? {
          neighbourPods: { resource: resources.pods, namespace: scope.neighbour },
          neighbourEvents: { resource: resources.events, namespace: scope.neighbour },
        }
      : {}),
  };
  const recordStates = (observations: Observations) => {
    const at = new Date();
    for (const pod of observations.pods.values()) objects.push(podState(pod, at));
    // The other namespace's pods by namespace and name: the two namespaces' names may be alike.
    for (const pod of observations.neighbour?.pods.values() ?? []) {
      objects.push({
        ...podState(pod, at),
        name: `${observations.neighbour?.namespace}/${pod.metadata?.name}`,
      });
    }
    for (const attachment of observations.attachments) objects.push(attachmentState(attachment, at));
  };
  let view: View<Sources> | undefined;
  const open = () =>
    openView(kube, sources as Record<Sources, Source>, {
      signal,
      observe: (source, _type, object, receivedAt) => {
        if (source === "events") events.add(object as CoreV1Event, receivedAt, now());
        // The other namespace's objects have the same names: its events name their namespace.
        if (source === "neighbourEvents") {
          const event = object as CoreV1Event;
          const involved = event.involvedObject;
          events.add(
            { ...event, involvedObject: { ...involved, name: `${involved.namespace}/${involved.name}` } },
            receivedAt,
            now(),
          );
        }
      },
    });
  const wait = async <R>(
    what: string,
    timeoutMs: number,
    until: (observations: Observations) => R | undefined,
  ): Promise<R> => {
    view ??= open();
    const stop = heartbeat(label, (elapsed) => `waiting for ${what}: ${elapsed}`);
    let last: Observations | undefined;
    try {
      return await view.until({ description: what, timeoutMs }, (snapshot) => {
        last = observationsOf(snapshot, scope);
        return until(last);
      });
    } finally {
      stop();
      if (last) recordStates(last);
    }
  };
  return { wait, close: () => view?.close() };
}
