import { readFileSync } from "node:fs";
import type { V1Deployment, V1Toleration } from "@kubernetes/client-node";
import { parse } from "yaml";
import { HOSTNAME_LABEL } from "../labels.ts";
import type { Check, FencingResult } from "../scenario/types.ts";

/**
 * The node-failure scenarios' workload (manifests/writer.yaml) and what its
 * log on the volume proves. A Deployment, not a bare pod (nothing would
 * replace a bare pod after its eviction) nor a StatefulSet (it makes no
 * replacement at all until the old pod object is gone, because the
 * replacement has the same name: the Multi-Attach phase never shows, and the
 * default path simply waits for ever).
 */

export const WRITER_LOG = "/data/amc-writer.log";
export const WRITER_CONTAINER = "writer";
export const WRITER_APP_LABEL = "app.kubernetes.io/name";

const template = parse(
  readFileSync(new URL("../../manifests/writer.yaml", import.meta.url), "utf8"),
) as V1Deployment;

export interface WriterOptions {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  claimName: string;
  image: string;
  /** The node the writer must start on (preferred), and the nodes it may run on. */
  preferredHostname: string;
  allowedHostnames: string[];
  /** tolerationSeconds for the unreachable and not-ready taints; "default" leaves the admission plugin's 300 s. */
  tolerationSeconds: number | "default";
}

export function renderWriter(options: WriterOptions): V1Deployment {
  const deployment = structuredClone(template);
  const podLabels = { ...options.labels, [WRITER_APP_LABEL]: options.name };
  deployment.metadata = { name: options.name, namespace: options.namespace, labels: { ...options.labels } };
  const spec = deployment.spec as NonNullable<V1Deployment["spec"]>;
  spec.selector = { matchLabels: { [WRITER_APP_LABEL]: options.name } };
  spec.template.metadata = { labels: podLabels };
  const pod = spec.template.spec as NonNullable<typeof spec.template.spec>;
  for (const volume of pod.volumes ?? []) {
    if (volume.persistentVolumeClaim) volume.persistentVolumeClaim.claimName = options.claimName;
  }
  for (const container of pod.containers) container.image = options.image;
  // Required: one of the two nodes (the replacement goes to the other); preferred: the one that fails.
  pod.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: options.allowedHostnames }] },
        ],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          preference: {
            matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [options.preferredHostname] }],
          },
        },
      ],
    },
  };
  if (options.tolerationSeconds !== "default") {
    const seconds = options.tolerationSeconds;
    const tolerate = (key: string): V1Toleration => ({
      key,
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: seconds,
    });
    pod.tolerations = [tolerate("node.kubernetes.io/unreachable"), tolerate("node.kubernetes.io/not-ready")];
  }
  return deployment;
}

/** One line of the writer's log. */
export interface LogLine {
  pod: string;
  node: string;
  seq: number;
  /** Epoch seconds with microseconds, on the writing node's clock. */
  time: number;
  text: string;
}

/** The log's lines; a line cut short by a crash (the last one) is left out. */
export function parseLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    const match = /^(\S+) (\S+) ([0-9]+) ([0-9]+(?:\.[0-9]+)?)$/.exec(line.trim());
    if (match) {
      lines.push({
        pod: match[1] as string,
        node: match[2] as string,
        seq: Number(match[3]),
        time: Number(match[4]),
        text: line.trim(),
      });
    }
  }
  return lines;
}

/**
 * The last line of `pod` the log proves durable: a line that is there was
 * synced before the next one was written, so it is the one before the last
 * seen. Read right before the fault, it is what the replacement must find.
 */
export function lastDurable(lines: readonly LogLine[], pod: string): number {
  const seqs = lines.filter((l) => l.pod === pod).map((l) => l.seq);
  return seqs.length === 0 ? 0 : Math.max(...seqs) - 1;
}

/** Every line 1..durable of the old writer is in the replacement's view of the log. */
export function dataCheck(lines: readonly LogLine[], oldPod: string, durable: number): Check {
  const title = "every line the old writer made durable before the fault is there";
  const seen = new Set(lines.filter((l) => l.pod === oldPod).map((l) => l.seq));
  const missing: number[] = [];
  for (let seq = 1; seq <= durable; seq++) if (!seen.has(seq)) missing.push(seq);
  if (durable === 0) {
    return {
      id: "data-intact",
      title,
      status: "inconclusive",
      detail: "no line of the old writer was seen durable before the fault",
    };
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(", ");
    return {
      id: "data-intact",
      title,
      status: "failed",
      detail: `data lost: ${missing.length} of the ${durable} lines of ${oldPod} made durable before the fault are missing (sequence ${shown}${missing.length > 10 ? ", ..." : ""})`,
    };
  }
  return {
    id: "data-intact",
    title,
    status: "passed",
    detail: `all ${durable} lines of ${oldPod} made durable before the fault were found by the replacement`,
  };
}

/** The replacement's first line, and when it was written. */
export function firstWrite(lines: readonly LogLine[], pod: string): LogLine | undefined {
  return lines.find((l) => l.pod === pod);
}

/**
 * Did the old node keep writing after the volume moved? Any line of the old
 * pod stamped after the replacement's first line is evidence that it did;
 * the answer comes with those lines and the replacement's lines among them.
 */
export function fencingCheck(lines: readonly LogLine[], oldPod: string, newPod: string): FencingResult {
  const first = firstWrite(lines, newPod);
  if (!first) return { status: "inconclusive", detail: `no line of the replacement ${newPod} in the log` };
  const late = lines.filter((l) => l.pod === oldPod && l.time > first.time);
  const lastNew = lines.filter((l) => l.pod === newPod).at(-1) ?? first;
  const window = `${(lastNew.time - first.time).toFixed(1)} s of the replacement writing`;
  if (late.length === 0) {
    return {
      status: "fenced",
      detail: `the old pod ${oldPod} wrote nothing after the replacement's first write (${window})`,
    };
  }
  const interleaved = lines.filter((l) => l.time >= first.time && (l.pod === oldPod || l.pod === newPod));
  return {
    status: "not-fenced",
    detail: `not fenced: the old node kept writing after the volume moved: ${late.length} line(s) of ${oldPod} after the replacement's first write (within ${window})`,
    lines: interleaved.slice(0, 20).map((l) => l.text),
  };
}
