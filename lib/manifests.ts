import { readFileSync } from "node:fs";
import type {
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PriorityClass,
  V1StatefulSet,
} from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { HOSTNAME_LABEL } from "./labels.ts";
import type { AccessMode, RolloutStrategy, WorkloadKind } from "./scenario/types.ts";

/**
 * Renders the article's manifests (manifests/*.yaml) for a scenario. The
 * templates stay the article's; this sets only what a scenario varies.
 */

const template = <T>(file: string): T =>
  parse(readFileSync(new URL(`../manifests/${file}`, import.meta.url), "utf8")) as T;
const claimTemplate = template<V1PersistentVolumeClaim>("pvc.yaml");
const podTemplate = template<V1Pod>("pod.yaml");

const copy = <T>(value: T): T => structuredClone(value);

export interface ClaimOptions {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** One mode, or every mode the claim asks for (a mixed-mode claim). */
  accessMode: AccessMode | readonly AccessMode[];
  storageClassName: string;
  /** Bind to this PersistentVolume (spec.volumeName): a volume re-bound to a new claim. */
  volumeName?: string;
  /** Block: a raw block device (Kubernetes' default is Filesystem). */
  volumeMode?: "Block";
}

export function renderClaim(options: ClaimOptions): V1PersistentVolumeClaim {
  const claim = copy(claimTemplate);
  claim.metadata = { name: options.name, namespace: options.namespace, labels: { ...options.labels } };
  claim.spec = {
    ...claim.spec,
    accessModes: typeof options.accessMode === "string" ? [options.accessMode] : [...options.accessMode],
    storageClassName: options.storageClassName,
    ...(options.volumeName ? { volumeName: options.volumeName } : {}),
    ...(options.volumeMode ? { volumeMode: options.volumeMode } : {}),
  };
  return claim;
}

/** The hostname label a node carries, for placing pods on it by the article's nodeSelector. */
export function hostnameOf(node: string, labels: Readonly<Record<string, Readonly<Record<string, string>>>>) {
  const hostname = labels[node]?.[HOSTNAME_LABEL];
  return hostname ? { nodeHostname: hostname } : {};
}

export interface PodOptions {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  claimName: string;
  image: string;
  /** The node the pod must run on; or, with `anyOf`, none. */
  node?: string;
  /** The hostname labels of the nodes the pod may run on, any of them: the scheduler chooses (node affinity). */
  anyOf?: readonly string[];
  /** The node's kubernetes.io/hostname label, when known: clusters may set it apart from the node's name. */
  nodeHostname?: string;
  /** spec.nodeName instead of a nodeSelector: the scheduler never sees the pod. */
  bypassScheduler?: boolean;
  priorityClassName?: string;
  /** `readOnly: true` on the claim reference: the kubelet mounts the volume read-only. */
  readOnly?: boolean;
  /** Block: the claim is a raw block device, which the container gets at BLOCK_DEVICE_PATH instead of a mount. */
  volumeMode?: "Block";
}

/** Where a container finds a raw block volume (volumeDevices), in place of the article's /data mount. */
export const BLOCK_DEVICE_PATH = "/dev/amc-data";

export function renderPod(options: PodOptions): V1Pod {
  const pod = copy(podTemplate);
  const spec = pod.spec as NonNullable<V1Pod["spec"]>;
  pod.metadata = { name: options.name, namespace: options.namespace, labels: { ...options.labels } };
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) {
      volume.persistentVolumeClaim.claimName = options.claimName;
      if (options.readOnly) volume.persistentVolumeClaim.readOnly = true;
    }
  }
  for (const container of spec.containers) {
    container.image = options.image;
    if (options.volumeMode === "Block") {
      container.volumeDevices = (container.volumeMounts ?? []).map((m) => ({
        name: m.name,
        devicePath: BLOCK_DEVICE_PATH,
      }));
      delete container.volumeMounts;
    }
  }
  if (options.anyOf) {
    const term = { matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [...options.anyOf] }] };
    spec.affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } },
    };
  } else {
    if (!options.node) throw new Error(`pod ${options.name}: neither a node nor nodes to choose from`);
    if (options.bypassScheduler) spec.nodeName = options.node;
    else spec.nodeSelector = { [HOSTNAME_LABEL]: options.nodeHostname ?? options.node };
  }
  if (options.priorityClassName) spec.priorityClassName = options.priorityClassName;
  // `sleep` runs as PID 1 and ignores SIGTERM: without this every deletion waits 30 s.
  spec.terminationGracePeriodSeconds = 1;
  return pod;
}

/** The label that selects a workload's pods. */
export const WORKLOAD_APP_LABEL = "app.kubernetes.io/name";

/** The annotation on a workload's pod template that a rollout changes (with the node it moves to). */
export const ROLLOUT_ANNOTATION = "access-mode-conformance/rollout";

/**
 * How long a Deployment of the workloads family may go without progress
 * before it reports ProgressDeadlineExceeded (Kubernetes' default: 600 s).
 * Short, so that a stalled rollout says so within the scenario. A rollout
 * that takes longer and then goes on (a slow attach) is still a completed
 * rollout: the verdict reads the pods, the condition is evidence of a stall.
 */
export const PROGRESS_DEADLINE_SECONDS = 3;

export interface WorkloadOptions extends Omit<PodOptions, "bypassScheduler" | "priorityClassName"> {
  kind: WorkloadKind;
  /** Deployments only; Kubernetes' default (rolling-update) when absent. */
  strategy?: RolloutStrategy;
  /** Deployments only: how long a new pod must be Ready before it counts as available. */
  minReadySeconds?: number;
}

/**
 * A Deployment or StatefulSet of one replica whose pod is the article's pod
 * (renderPod), on the given node. A StatefulSet uses the scenario's claim in
 * its template, as a Deployment does, rather than a volumeClaimTemplate: the
 * claim is the scenario's, created first and watched like the others.
 */
export function renderWorkload(options: WorkloadOptions): V1Deployment | V1StatefulSet {
  const pod = renderPod({ ...options, name: options.name });
  const podLabels = { ...options.labels, [WORKLOAD_APP_LABEL]: options.name };
  const metadata = { name: options.name, namespace: options.namespace, labels: { ...options.labels } };
  const template = { metadata: { labels: podLabels }, spec: pod.spec as NonNullable<V1Pod["spec"]> };
  const selector = { matchLabels: { [WORKLOAD_APP_LABEL]: options.name } };
  if (options.kind === "statefulset") {
    return {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata,
      spec: { replicas: 1, serviceName: options.name, selector, template },
    };
  }
  const strategy: NonNullable<V1Deployment["spec"]>["strategy"] =
    options.strategy === "recreate"
      ? { type: "Recreate" }
      : options.strategy === "no-surge"
        ? { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } }
        : // Kubernetes' default, written out: maxSurge 25% rounds up to one new pod before the old one stops.
          { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas: 1,
      selector,
      strategy,
      progressDeadlineSeconds: PROGRESS_DEADLINE_SECONDS,
      ...(options.minReadySeconds ? { minReadySeconds: options.minReadySeconds } : {}),
      template,
    },
  };
}

/** The pod-template change that makes a workload's next pod run on `node` (a merge patch). */
export function rolloutPatch(node: string, nodeHostname: string | undefined, rollout: number): object {
  return {
    spec: {
      template: {
        metadata: { annotations: { [ROLLOUT_ANNOTATION]: `${rollout}: to ${node}` } },
        spec: { nodeSelector: { [HOSTNAME_LABEL]: nodeHostname ?? node } },
      },
    },
  };
}

export function renderPriorityClass(
  name: string,
  value: number,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): V1PriorityClass {
  return {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name, labels: { ...labels }, annotations: { ...annotations } },
    value,
    preemptionPolicy: "PreemptLowerPriority",
    description: "access-mode-conformance: rwop-preemption",
  };
}

export function toYaml(object: object): string {
  return stringify(object);
}
