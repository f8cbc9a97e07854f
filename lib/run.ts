import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNER_ANNOTATION,
  OWNER_POD_ANNOTATION,
  RUN_LABEL,
  STARTED_ANNOTATION,
} from "./labels.ts";
import type { PodIdentity } from "./settings.ts";

/**
 * One run of the suites: its id (on every object it creates), who owns it
 * (so that a later run can tell a crashed run's leftovers from a live run's
 * objects), and its settings.
 */

export interface RunOwner {
  host: string;
  pid: number;
  startTicks: string;
  /** The pod the run is in (AMC_POD_*), when it runs inside the cluster. */
  pod?: PodIdentity;
}

export interface RunContext {
  runId: string;
  startedAt: string;
  owner: RunOwner;
  /** Where records and reports go (AMC_REPORT_DIR, default reports). */
  reportDir: string;
  /** The workload image (AMC_IMAGE, default the article's alpine). */
  image: string;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "t").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

export function runLabels(runId: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_LABEL]: runId };
}

export function runAnnotations(run: Pick<RunContext, "owner" | "startedAt">): Record<string, string> {
  return {
    [OWNER_ANNOTATION]: `${run.owner.host}/${run.owner.pid}/${run.owner.startTicks}`,
    ...(run.owner.pod ? { [OWNER_POD_ANNOTATION]: formatOwnerPod(run.owner.pod) } : {}),
    [STARTED_ANNOTATION]: run.startedAt,
  };
}

/** A pod as OWNER_POD_ANNOTATION holds it: "namespace/name/uid". */
function formatOwnerPod(pod: PodIdentity): string {
  return `${pod.namespace}/${pod.name}/${pod.uid}`;
}

/** "namespace/name/uid" -> its parts, or undefined. */
export function parseOwnerPod(annotation: string | undefined): PodIdentity | undefined {
  const match = /^([^/]+)\/([^/]+)\/([^/]+)$/.exec(annotation ?? "");
  return match
    ? { namespace: match[1] as string, name: match[2] as string, uid: match[3] as string }
    : undefined;
}

export function parseOwner(annotation: string | undefined): RunOwner | undefined {
  const match = /^(.+)\/(\d+)\/(\d+)$/.exec(annotation ?? "");
  if (!match) return undefined;
  return { host: match[1] as string, pid: Number(match[2]), startTicks: match[3] as string };
}

export function thisHost(): string {
  return hostname();
}
