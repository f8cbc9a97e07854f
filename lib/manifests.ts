import { readFileSync } from "node:fs";
import type { V1PersistentVolumeClaim, V1Pod, V1PriorityClass } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { HOSTNAME_LABEL } from "./labels.ts";
import type { AccessMode } from "./scenario/types.ts";

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
  accessMode: AccessMode;
  storageClassName: string;
}

export function renderClaim(options: ClaimOptions): V1PersistentVolumeClaim {
  const claim = copy(claimTemplate);
  claim.metadata = { name: options.name, namespace: options.namespace, labels: { ...options.labels } };
  claim.spec = {
    ...claim.spec,
    accessModes: [options.accessMode],
    storageClassName: options.storageClassName,
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
  node: string;
  /** The node's kubernetes.io/hostname label, when known: clusters may set it apart from the node's name. */
  nodeHostname?: string;
  /** spec.nodeName instead of a nodeSelector: the scheduler never sees the pod. */
  bypassScheduler?: boolean;
  priorityClassName?: string;
}

export function renderPod(options: PodOptions): V1Pod {
  const pod = copy(podTemplate);
  const spec = pod.spec as NonNullable<V1Pod["spec"]>;
  pod.metadata = { name: options.name, namespace: options.namespace, labels: { ...options.labels } };
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) volume.persistentVolumeClaim.claimName = options.claimName;
  }
  for (const container of spec.containers) container.image = options.image;
  if (options.bypassScheduler) spec.nodeName = options.node;
  else spec.nodeSelector = { [HOSTNAME_LABEL]: options.nodeHostname ?? options.node };
  if (options.priorityClassName) spec.priorityClassName = options.priorityClassName;
  // `sleep` runs as PID 1 and ignores SIGTERM: without this every deletion waits 30 s.
  spec.terminationGracePeriodSeconds = 1;
  return pod;
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
