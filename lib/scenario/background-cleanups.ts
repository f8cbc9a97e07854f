import { formatDuration, heartbeat, say } from "../progress.ts";
import { stepTiming } from "./timing.ts";
import type { ScenarioRecord, StepTiming } from "./types.ts";

/**
 * Clean-up off the critical path. A case's verdict is final at its deciding
 * event; removing its namespace, pods, claims and volumes (seconds on real
 * storage: unmount, detach, delete) then runs while the next cases go on. The
 * suite awaits every clean-up once at its end, with progress, and puts what
 * each one noted and how long it took into that case's record; a clean-up that
 * failed still fails the run.
 */

export interface CleanupOutcome {
  /** The record the clean-up belongs to (scenario@class). */
  key: string;
  notes: string[];
  step: StepTiming;
  error?: Error;
}

export class BackgroundCleanups {
  readonly #pending = new Map<string, Promise<CleanupOutcome>>();

  /** Starts `work` now; it returns the notes the record keeps (volumes left, and why). */
  start(key: string, work: () => Promise<string[]>): void {
    const started = new Date();
    const outcome = work().then(
      (notes) => ({ key, notes, step: stepTiming("clean-up", started, Date.now()) }),
      (error: Error) => ({ key, notes: [], step: stepTiming("clean-up", started, Date.now()), error }),
    );
    this.#pending.set(key, outcome);
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Every clean-up started so far, awaited; says how many are left every 15 s while it waits. */
  async drain(scope: string): Promise<CleanupOutcome[]> {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    if (all.length === 0) return [];
    let done = 0;
    for (const each of all) each.then(() => done++);
    const stop = heartbeat(
      scope,
      (elapsed) =>
        `removing what the cases made: ${all.length - done} of ${all.length} still going (${elapsed})`,
    );
    const started = Date.now();
    try {
      const outcomes = await Promise.all(all);
      const slowest = Math.max(...outcomes.map((o) => o.step.ms));
      if (Date.now() - started > 1_000) {
        say(
          scope,
          `removed what ${all.length} case(s) made (the slowest clean-up took ${formatDuration(slowest)})`,
        );
      }
      return outcomes;
    } finally {
      stop();
    }
  }
}

/** The record with its clean-up's notes and timing: what the record says once the clean-up is done. */
export function withCleanup(record: ScenarioRecord, outcome: CleanupOutcome): ScenarioRecord {
  const notes = [...(record.cleanupNotes ?? []), ...outcome.notes];
  return {
    ...record,
    ...(notes.length > 0 ? { cleanupNotes: notes } : {}),
    timings: { ...record.timings, steps: [...record.timings.steps, outcome.step] },
  };
}
