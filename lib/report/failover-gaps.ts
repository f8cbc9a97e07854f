import type { FailoverPhaseId, ScenarioRecord } from "../scenario/types.ts";

/**
 * The detection gap of the node-failure timelines, phase by phase: how long
 * after the control plane emitted an event the suite saw it (a phase's
 * detectionGapMs, set only where its time is the cluster's own to the
 * nanosecond). bench/failover-gaps.ts prints it for a stored run; the target
 * is a p95 under 250 ms, so that a timeline is the cluster's and not the
 * suite's latency.
 */

export const DETECTION_GAP_TARGET_MS = 250;

export interface PhaseGaps {
  phase: FailoverPhaseId;
  count: number;
  p50: number;
  p95: number;
  max: number;
  /** p95 < DETECTION_GAP_TARGET_MS. */
  meetsTarget: boolean;
}

/** The nearest-rank percentile of values (NaN for none). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Per phase that has a detection gap in some record, in the order they happen (by their median time since the fault). */
export function detectionGaps(records: readonly ScenarioRecord[]): PhaseGaps[] {
  const byPhase = new Map<FailoverPhaseId, { gaps: number[]; since: number[] }>();
  for (const record of records) {
    for (const phase of record.failover?.phases ?? []) {
      if (phase.detectionGapMs === undefined) continue;
      const seen = byPhase.get(phase.id) ?? { gaps: [], since: [] };
      seen.gaps.push(phase.detectionGapMs);
      seen.since.push(phase.sinceFaultMs);
      byPhase.set(phase.id, seen);
    }
  }
  const ordered = [...byPhase.entries()].sort(
    ([, a], [, b]) => percentile(a.since, 50) - percentile(b.since, 50),
  );
  return ordered.map(([phase, { gaps }]) => {
    const p95 = percentile(gaps, 95);
    return {
      phase,
      count: gaps.length,
      p50: percentile(gaps, 50),
      p95,
      max: Math.max(...gaps),
      meetsTarget: p95 < DETECTION_GAP_TARGET_MS,
    };
  });
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** A Markdown table of the gaps, with a line for the run as a whole. */
export function renderDetectionGaps(gaps: readonly PhaseGaps[], records: readonly ScenarioRecord[]): string {
  const failover = records.filter((r) => r.failover);
  if (gaps.length === 0) {
    return `no detection gap in ${failover.length} node-failure record(s) of ${records.length}: no phase was timed by an event the cluster stamped to the nanosecond`;
  }
  const all = failover.flatMap((r) =>
    (r.failover?.phases ?? []).flatMap((p) => (p.detectionGapMs === undefined ? [] : [p.detectionGapMs])),
  );
  const allP95 = percentile(all, 95);
  return [
    `detection gap (the control plane emitting a phase's event to the suite seeing it) over ${failover.length} node-failure record(s); target: p95 < ${DETECTION_GAP_TARGET_MS} ms`,
    "",
    "| phase | count | p50 | p95 | max | p95 < target |",
    "|---|---:|---:|---:|---:|---|",
    ...gaps.map(
      (g) =>
        `| ${g.phase} | ${g.count} | ${ms(g.p50)} | ${ms(g.p95)} | ${ms(g.max)} | ${g.meetsTarget ? "yes" : "NO"} |`,
    ),
    `| all phases | ${all.length} | ${ms(percentile(all, 50))} | ${ms(allP95)} | ${ms(Math.max(...all))} | ${allP95 < DETECTION_GAP_TARGET_MS ? "yes" : "NO"} |`,
  ].join("\n");
}
