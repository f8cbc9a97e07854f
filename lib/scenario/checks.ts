import type { V1Pod } from "@kubernetes/client-node";
import type { Fidelity } from "../cluster/fidelity.ts";
import type { Decision } from "./classify.ts";
import type { Check } from "./types.ts";

/**
 * The kubelet-level checks, as pure rules: when each does not apply, and what
 * it concludes from what the kubelet showed. The steps (steps/decide.ts,
 * steps/data-check.ts) wait and exec; a failed check turns the verdict into a
 * deviation (verdict.ts, withKubeletChecks).
 */

const POD_B_STUCK = {
  id: "pod-b-stuck",
  title: "pod B is stuck in ContainerCreating while the volume is attached elsewhere",
} as const;

const DATA_SHARED = { id: "data-shared", title: "pod B reads what pod A wrote to the volume" } as const;

/** pod-b-stuck cannot be checked on simulated nodes: the check that says so, or undefined on real kubelets. */
export function podBStuckNotApplicable(fidelity: Fidelity): Check | undefined {
  if (fidelity === "full") return undefined;
  return {
    ...POD_B_STUCK,
    status: "not-applicable",
    detail: "needs real kubelets: on simulated nodes every pod is marked Running whatever its volumes",
  };
}

/** The pod once its kubelet has reported it (container statuses, or Running), else undefined. */
export function reportedByKubelet(pod: V1Pod | undefined): V1Pod | undefined {
  return pod?.status?.containerStatuses?.length || pod?.status?.phase === "Running" ? pod : undefined;
}

/**
 * A pod blocked by Multi-Attach must stay Pending in ContainerCreating.
 * `pod` is pod B as its kubelet reported it; undefined: it never did.
 */
export function podBStuckCheck(pod: V1Pod | undefined): Check {
  if (!pod) {
    return { ...POD_B_STUCK, status: "inconclusive", detail: "the kubelet reported no status for pod B" };
  }
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting?.reason;
  const stuck = pod.status?.phase === "Pending" && waiting === "ContainerCreating";
  return {
    ...POD_B_STUCK,
    status: stuck ? "passed" : "failed",
    detail: `pod B is ${pod.status?.phase ?? "gone"}${waiting ? ` (${waiting})` : ""}`,
  };
}

/**
 * data-shared cannot be checked on simulated nodes (nothing is mounted), nor
 * when pod B was not admitted: the check that says so, or undefined.
 */
export function dataSharedNotApplicable(
  fidelity: Fidelity,
  observed: Pick<Decision, "outcome"> | undefined,
): Check | undefined {
  if (fidelity !== "full") {
    return { ...DATA_SHARED, status: "not-applicable", detail: "needs real kubelets to mount the volume" };
  }
  // A completed rollout's new pod, a handed-over volume's waiting pod and a preemptor are pod B:
  // the data must have moved with the volume.
  const reached: readonly Decision["outcome"][] = [
    "admitted",
    "rollout-completed",
    "handed-over",
    "holder-preempted",
  ];
  if (!observed || !reached.includes(observed.outcome)) {
    return { ...DATA_SHARED, status: "not-applicable", detail: "pod B was not admitted" };
  }
  return undefined;
}

/** Pod B read `read` from the volume, where pod A wrote `token`. */
export function dataSharedCheck(token: string, read: { stdout: string; stderr: string }): Check {
  const shared = read.stdout.trim() === token;
  return {
    ...DATA_SHARED,
    status: shared ? "passed" : "failed",
    detail: shared
      ? `pod B read the token ${token}`
      : `pod B read "${read.stdout.trim()}" ${read.stderr.trim()}`,
  };
}

const DATA_SEEDED = {
  id: "data-seeded",
  title: "the pods read the data written before the volume was re-bound read-only",
} as const;

/** data-seeded cannot be checked on simulated nodes (nothing is mounted): the check that says so, or undefined. */
export function dataSeededNotApplicable(fidelity: Fidelity): Check | undefined {
  if (fidelity === "full") return undefined;
  return { ...DATA_SEEDED, status: "not-applicable", detail: "needs real kubelets to mount the volume" };
}

/** Each pod read `stdout` from the volume, where the seed writer wrote `token`. */
export function dataSeededCheck(
  token: string,
  reads: readonly { pod: string; stdout: string; stderr: string }[],
): Check {
  const wrong = reads.filter((r) => r.stdout.trim() !== token);
  return {
    ...DATA_SEEDED,
    status: wrong.length === 0 ? "passed" : "failed",
    detail:
      wrong.length === 0
        ? `${reads.map((r) => r.pod).join(" and ")} read the token ${token}`
        : wrong.map((r) => `${r.pod} read "${r.stdout.trim()}" ${r.stderr.trim()}`.trim()).join("; "),
  };
}

const WRITE_REFUSED = {
  id: "write-refused",
  title: "a pod that mounted the claim readOnly cannot write to it",
} as const;
const WRITE_WITHOUT_READ_ONLY = {
  id: "write-without-read-only",
  title: "whether a pod that mounted the ReadOnlyMany claim without readOnly can write to it",
} as const;

/** The write checks cannot run on simulated nodes: the check that says so, or undefined. */
export function writeAttemptNotApplicable(fidelity: Fidelity, readOnly: boolean): Check | undefined {
  if (fidelity === "full") return undefined;
  return {
    ...(readOnly ? WRITE_REFUSED : WRITE_WITHOUT_READ_ONLY),
    status: "not-applicable",
    detail: "needs real kubelets to mount the volume",
  };
}

/** The shell's words for a write refused by a read-only mount (EROFS). */
const readOnlyFileSystem = /Read-only file system/i;

/**
 * What a write into the ReadOnlyMany volume from `pod` showed. With
 * readOnly, the write must fail with EROFS. Without it, Kubernetes promises
 * nothing (an access mode is not a mount option: kubernetes/kubernetes#37465):
 * a write that succeeds is the finding; one the class refuses is kept as its
 * own enforcement.
 */
export function writeAttemptCheck(options: {
  readOnly: boolean;
  className: string;
  pod: string;
  result: { stdout: string; stderr: string; status: { status?: string } };
}): Check {
  const { readOnly, className, pod, result } = options;
  const written = result.status.status === "Success";
  const error = result.stderr.trim() || result.stdout.trim() || "no output";
  if (readOnly) {
    if (written) {
      return { ...WRITE_REFUSED, status: "failed", detail: `${pod} wrote to the volume mounted readOnly` };
    }
    return readOnlyFileSystem.test(error)
      ? { ...WRITE_REFUSED, status: "passed", detail: `${pod}'s write failed: ${error}` }
      : {
          ...WRITE_REFUSED,
          status: "inconclusive",
          detail: `${pod}'s write failed, but not because the file system is read-only: ${error}`,
        };
  }
  if (written) {
    return {
      ...WRITE_WITHOUT_READ_ONLY,
      status: "passed",
      detail: `${pod} wrote to the ReadOnlyMany volume`,
      finding: `ReadOnlyMany does not make a volume read-only on ${className}: ${pod}, which mounted it without readOnly, wrote to it`,
    };
  }
  return readOnlyFileSystem.test(error)
    ? {
        ...WRITE_WITHOUT_READ_ONLY,
        status: "passed",
        detail: `${className} mounted the volume read-only although the pod did not ask for readOnly: ${error}`,
      }
    : {
        ...WRITE_WITHOUT_READ_ONLY,
        status: "inconclusive",
        detail: `${pod}'s write failed, but not because the file system is read-only: ${error}`,
      };
}

const PROGRESS_DEADLINE = {
  id: "progress-deadline-exceeded",
  title: "the stalled Deployment reports ProgressDeadlineExceeded",
} as const;

/**
 * Whether the Deployment's own status can show the stall: not on simulated
 * nodes when Multi-Attach is what stalls it (kwok reports the new pod Ready
 * without its volume, so the Deployment goes on); the check that says so, or
 * undefined when the suite should wait for the condition.
 */
export function progressDeadlineNotApplicable(
  fidelity: Fidelity,
  observed: Pick<Decision, "event">,
): Check | undefined {
  if (fidelity === "full" || observed.event?.reason !== "FailedAttachVolume") return undefined;
  return {
    ...PROGRESS_DEADLINE,
    status: "not-applicable",
    detail:
      "on simulated nodes kwok reports the new pod Ready without its volume, so the Deployment itself goes on; on real kubelets the pod waits in ContainerCreating and the Deployment stalls",
  };
}

/**
 * The Deployment's Progressing condition as seen (undefined: not within the
 * wait). On real kubelets a stalled Deployment must report it: its absence
 * fails the check. On simulated nodes the condition is evidence only.
 */
export function progressDeadlineCheck(
  condition: { message: string } | undefined,
  deadlineSeconds: number,
  fidelity: Fidelity,
): Check {
  if (!condition) {
    return {
      ...PROGRESS_DEADLINE,
      status: fidelity === "full" ? "failed" : "inconclusive",
      detail: `the stalled Deployment did not report ProgressDeadlineExceeded within the wait (progressDeadlineSeconds ${deadlineSeconds})`,
    };
  }
  return {
    ...PROGRESS_DEADLINE,
    status: "passed",
    detail: `Progressing=False, ProgressDeadlineExceeded (progressDeadlineSeconds ${deadlineSeconds}): ${condition.message}`,
  };
}
