import { randomBytes } from "node:crypto";
import type {
  KubernetesObject,
  V1PersistentVolumeClaim,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import type { ClusterInfo } from "../cluster/contract.ts";
import type { Kube } from "../kube/client.ts";
import { execInPod } from "../kube/exec.ts";
import { createNamespace, waitForServiceAccount } from "../kube/namespaces.ts";
import { resources } from "../kube/resources.ts";
import { watchUntil } from "../kube/wait.ts";
import { CLASS_LABEL, HOSTNAME_LABEL, SCENARIO_LABEL } from "../labels.ts";
import { renderClaim, toYaml } from "../manifests.ts";
import { type RunContext, runLabels } from "../run.ts";
import { EventLog, podState } from "../scenario/evidence.ts";
import type { Scenario } from "../scenario/scenarios.ts";
import type { ObjectEvidence, StorageProfile } from "../scenario/types.ts";
import type { FailoverTimeline } from "./timeline.ts";
import {
  type LogLine,
  parseLog,
  renderWriter,
  WRITER_APP_LABEL,
  WRITER_CONTAINER,
  WRITER_LOG,
} from "./writer.ts";

/**
 * One writer per (scenario, class) of a fault: its namespace, claim and
 * Deployment, started on the node that will fail, and what the run learns
 * about it. Everything is labelled with the run, the scenario and the class.
 */

export interface FailoverCase {
  scenario: Scenario;
  storage: StorageProfile;
}

export interface Writer {
  case: FailoverCase;
  /** "<scenario>@<class>" for progress lines. */
  label: string;
  labels: Record<string, string>;
  namespace: string;
  claim: string;
  name: string;
  manifests: Record<string, string>;
  events: EventLog;
  objects: ObjectEvidence[];
  /** The writer's pod before the fault, and its claim's volume. */
  oldPod?: string;
  volume?: string;
  /** The old writer's last line the log proved durable right before the fault. */
  durable: number;
  timeline?: FailoverTimeline;
  /** Why the writer could not take part (never placed, never writing), as the record's reason. */
  excluded?: { verdict: "inconclusive" | "not-applicable"; reason: string };
  recovered: boolean;
  recoveredAtMs?: number;
  forceDeletedAtMs?: number;
  lines?: LogLine[];
}

export function newWriter(fcase: FailoverCase, run: RunContext): Writer {
  const { scenario, storage } = fcase;
  return {
    case: fcase,
    label: `${scenario.id}@${storage.className}`,
    labels: { ...runLabels(run.runId), [SCENARIO_LABEL]: scenario.id, [CLASS_LABEL]: storage.className },
    namespace: "",
    claim: `rwo-pvc-${randomBytes(3).toString("hex")}`,
    name: "writer",
    manifests: {},
    events: new EventLog(),
    objects: [],
    durable: 0,
    recovered: false,
  };
}

/**
 * Creates the writer and waits until it writes on the node to fail: Ready
 * (its first line is synced, see manifests/writer.yaml) with real kubelets,
 * Running on simulated nodes. A writer the scheduler put elsewhere is
 * excluded, with the reason.
 */
export async function startWriter(options: {
  kube: Kube;
  writer: Writer;
  cluster: ClusterInfo;
  run: RunContext;
  nodes: { failed: string; other: string };
  hostnames: Record<string, string>;
  tolerationSeconds: number | "default";
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}): Promise<void> {
  const { kube, writer, cluster, run, nodes } = options;
  writer.namespace = await createNamespace(kube, `amc-${writer.case.scenario.id}`, run, writer.labels);
  await waitForServiceAccount(kube, writer.namespace);
  const claim = renderClaim({
    name: writer.claim,
    namespace: writer.namespace,
    labels: writer.labels,
    accessMode: "ReadWriteOnce",
    storageClassName: writer.case.storage.className,
  });
  writer.manifests[writer.claim] = toYaml(claim);
  await kube.core.createNamespacedPersistentVolumeClaim({ namespace: writer.namespace, body: claim });
  const hostname = (node: string) => options.hostnames[node] ?? node;
  const deployment = renderWriter({
    name: writer.name,
    namespace: writer.namespace,
    labels: writer.labels,
    claimName: writer.claim,
    image: run.image,
    preferredHostname: hostname(nodes.failed),
    allowedHostnames: [hostname(nodes.failed), hostname(nodes.other)],
    tolerationSeconds: options.tolerationSeconds,
  });
  writer.manifests[writer.name] = toYaml(deployment);
  await kube.objects.create(deployment);
  const started = await watchUntil(
    kube,
    {
      pods: {
        resource: resources.pods,
        namespace: writer.namespace,
        labelSelector: `${WRITER_APP_LABEL}=${writer.name}`,
      },
      claims: { resource: resources.persistentVolumeClaims, namespace: writer.namespace },
      attachments: { resource: resources.volumeAttachments },
    },
    {
      description: `the writer of ${writer.label} to write on ${nodes.failed}`,
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    (snapshot) => {
      const claim = snapshot.claims.get(`${writer.namespace}/${writer.claim}`) as
        | V1PersistentVolumeClaim
        | undefined;
      const volume = claim?.spec?.volumeName;
      for (const object of snapshot.pods.values()) {
        const pod = object as V1Pod;
        const node = pod.spec?.nodeName;
        if (
          node &&
          volume &&
          writesOn(pod, node, snapshot.attachments, { volume, case: writer.case }, cluster)
        ) {
          return { pod, node };
        }
      }
      return undefined;
    },
  );
  writer.objects.push(podState(started.pod, new Date()));
  if (started.node !== nodes.failed) {
    writer.excluded = {
      verdict: "inconclusive",
      reason: `the writer started on ${started.node}, not on ${nodes.failed}, the node to fail, although it prefers it (node affinity): the scheduler or the volume's placement chose otherwise`,
    };
    return;
  }
  writer.oldPod = started.pod.metadata?.name ?? "";
  const claimNow = (await kube.core.readNamespacedPersistentVolumeClaim({
    name: writer.claim,
    namespace: writer.namespace,
  })) as V1PersistentVolumeClaim;
  writer.volume = claimNow.spec?.volumeName ?? "";
}

/** The writer's log as `pod` sees it (real kubelets only). */
export async function readLog(
  kube: Kube,
  writer: Writer,
  pod: string,
  timeoutMs: number,
): Promise<LogLine[]> {
  const { stdout, status } = await execInPod(
    kube,
    writer.namespace,
    pod,
    WRITER_CONTAINER,
    ["cat", WRITER_LOG],
    timeoutMs,
  );
  if (status.status !== "Success")
    throw new Error(`cat ${WRITER_LOG} in ${pod} failed: ${status.message ?? ""}`);
  return parseLog(stdout);
}

/** kubernetes.io/hostname of every node, from the pool's labels. */
export function hostnamesOf(
  labels: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([node, l]) => [node, l[HOSTNAME_LABEL] ?? node]));
}

/**
 * Whether the pod writes on `node`: Ready with real kubelets (its first line
 * is synced, manifests/writer.yaml); on simulated nodes Running and, when the
 * class attaches, its volume attached there (kwok's Running says nothing of volumes).
 */
export function writesOn(
  pod: V1Pod,
  node: string,
  attachments: ReadonlyMap<string, KubernetesObject>,
  w: Pick<Writer, "volume" | "case">,
  cluster: Pick<ClusterInfo, "fidelity">,
): boolean {
  if (cluster.fidelity === "full") {
    return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  }
  if (pod.status?.phase !== "Running") return false;
  if (w.case.storage.family !== "attachable") return true;
  return [...attachments.values()].some((object) => {
    const va = object as V1VolumeAttachment;
    return (
      va.spec?.source?.persistentVolumeName === w.volume &&
      va.spec?.nodeName === node &&
      va.status?.attached === true
    );
  });
}
