import { messages } from "../scenario/classify.ts";
import type { CertificationResult } from "./document.ts";

/**
 * The workloads family in words, for every report form: a stalled rollout
 * explained in one plain sentence with its remedy, and the durations of the
 * rollouts that completed. Pure: read from the certification's results.
 */

/** What blocked a stalled rollout, from its deciding event. */
type Blocker = "multi-attach" | "rwop" | "node-affinity";

function blockerOf(result: CertificationResult): Blocker | undefined {
  const event = result.observed?.decidedBy;
  if (!event) return undefined;
  if (event.reason === "FailedAttachVolume" && messages.multiAttach.test(event.message))
    return "multi-attach";
  if (event.reason !== "FailedScheduling") return undefined;
  if (messages.nodeAffinityConflict.test(event.message)) return "node-affinity";
  if (messages.rwopScheduler.test(event.message)) return "rwop";
  return undefined;
}

/** Why each blocker stalls a rollout, and what to do instead. */
const explanation: Record<Blocker, string> = {
  "multi-attach":
    "stalls (Multi-Attach): a Deployment's default rolling update starts the new pod before the old one stops, and on another node the old pod keeps the RWO volume attached where it is; this is Kubernetes' documented behaviour, not a storage fault: use `Recreate` or `maxSurge: 0` with RWO claims on attachable storage",
  rwop: "stalls (ReadWriteOncePod): a Deployment's default rolling update starts the new pod before the old one stops, and the old pod holds the ReadWriteOncePod claim, so the scheduler refuses the new pod even on the same node; this is Kubernetes' documented behaviour: use `Recreate` with RWOP claims",
  "node-affinity":
    "stalls (volume node affinity): the volume exists on one node only, so the new pod cannot run on any other, whatever the strategy; this is the storage's nature, not a fault: keep the pod on the volume's node (do not pin it elsewhere), or move the data to a new volume",
};

/** One sentence per stalled rollout: the class, what blocked it, and what to do instead. */
export function stalledRolloutSentences(results: readonly CertificationResult[]): string[] {
  return results.flatMap((r) => {
    if (r.observed?.outcome !== "rollout-stalled") return [];
    const blocker = blockerOf(r);
    const why = blocker ? explanation[blocker] : `stalls: ${r.observed.summary}`;
    return [`${r.scenario} on \`${r.storageClass}\` ${why}.`];
  });
}

export interface RolloutDuration {
  scenario: CertificationResult["scenario"];
  storageClass: string;
  /** The old pod's deletion to the new pod admitted; absent when the new pod ran before the old one was deleted. */
  rolloutMs?: number;
  detachMs?: number;
  attachMs?: number;
}

/** The completed rollouts and their durations, in the results' order. */
export function rolloutDurations(results: readonly CertificationResult[]): RolloutDuration[] {
  return results
    .filter((r) => r.observed?.outcome === "rollout-completed")
    .map((r) => ({
      scenario: r.scenario,
      storageClass: r.storageClass,
      ...(r.timings?.rolloutMs !== undefined ? { rolloutMs: r.timings.rolloutMs } : {}),
      ...(r.timings?.detachMs !== undefined ? { detachMs: r.timings.detachMs } : {}),
      ...(r.timings?.attachMs !== undefined ? { attachMs: r.timings.attachMs } : {}),
    }));
}
