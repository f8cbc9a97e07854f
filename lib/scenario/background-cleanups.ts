import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Kube } from "../kube/client.ts";
import { deleteNamespaceAndWait } from "../kube/namespaces.ts";
import { formatDuration, heartbeat, say } from "../progress.ts";
import { recordsDir } from "./records.ts";
import { stepTiming } from "./timing.ts";
import type { ScenarioRecord, StepTiming } from "./types.ts";

/**
 * Clean-up off the critical path. A case's verdict is final at its deciding
 * event; removing its namespace, pods, claims and volumes (seconds on real
 * storage: unmount, detach, delete) then runs while the next cases go on.
 * A suite file ends without waiting for the clean-ups still going: it hands
 * them over (a file per case next to the records), and the run's end awaits
 * them all once, with progress, before the reports. Every clean-up's notes and
 * timing go into its case's record; one that failed fails the run.
 */

export interface CleanupOutcome {
  /** The record the clean-up belongs to: its file name (records.ts). */
  key: string;
  notes: string[];
  step: StepTiming;
  error?: Error;
}

/** A clean-up a suite file left going: what the run's end needs to finish it. */
export interface HandedOver {
  key: string;
  namespace: string;
  startedAt: string;
}

interface Running extends HandedOver {
  outcome?: CleanupOutcome;
  done: Promise<CleanupOutcome>;
}

export class BackgroundCleanups {
  readonly #running = new Map<string, Running>();

  /** Starts `work` (the namespace's removal) now; it returns the notes the record keeps (volumes left, and why). */
  start(key: string, namespace: string, work: () => Promise<string[]>): void {
    const started = new Date();
    const settle = (outcome: CleanupOutcome) => {
      const entry = this.#running.get(key);
      if (entry) entry.outcome = outcome;
      return outcome;
    };
    const done = work().then(
      (notes) => settle({ key, notes, step: stepTiming("clean-up", started, Date.now()) }),
      (error: Error) => settle({ key, notes: [], step: stepTiming("clean-up", started, Date.now()), error }),
    );
    this.#running.set(key, { key, namespace, startedAt: started.toISOString(), done });
  }

  get size(): number {
    return this.#running.size;
  }

  /** The clean-ups that are done, taken out of the set. */
  finished(): CleanupOutcome[] {
    const done = [...this.#running.values()].flatMap((entry) => (entry.outcome ? [entry.outcome] : []));
    for (const outcome of done) this.#running.delete(outcome.key);
    return done;
  }

  /** The clean-ups still going, taken out of the set: the caller hands them over. */
  stillGoing(): HandedOver[] {
    const going = [...this.#running.values()].map(({ key, namespace, startedAt }) => ({
      key,
      namespace,
      startedAt,
    }));
    this.#running.clear();
    return going;
  }

  /** Every clean-up started so far, awaited (for callers that run the cases themselves, e.g. benchmarks). */
  async drain(scope: string): Promise<CleanupOutcome[]> {
    const all = [...this.#running.values()].map((entry) => entry.done);
    this.#running.clear();
    return awaitWithProgress(scope, all);
  }
}

async function awaitWithProgress(scope: string, all: Promise<CleanupOutcome>[]): Promise<CleanupOutcome[]> {
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
    if (Date.now() - started > 1_000) {
      const slowest = Math.max(...outcomes.map((o) => o.step.ms));
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

/** The record with its clean-up's notes and timing: what the record says once the clean-up is done. */
export function withCleanup(record: ScenarioRecord, outcome: CleanupOutcome): ScenarioRecord {
  const notes = [...(record.cleanupNotes ?? []), ...outcome.notes];
  return {
    ...record,
    ...(notes.length > 0 ? { cleanupNotes: notes } : {}),
    timings: { ...record.timings, steps: [...record.timings.steps, outcome.step] },
  };
}

const handedOverDir = (reportDir: string, runId: string) => join(recordsDir(reportDir, runId), "cleanups");

/** Writes the clean-ups a suite file leaves going, for the run's end to finish. */
export async function handOver(
  reportDir: string,
  runId: string,
  going: readonly HandedOver[],
): Promise<void> {
  if (going.length === 0) return;
  const dir = handedOverDir(reportDir, runId);
  await mkdir(dir, { recursive: true });
  for (const each of going) await writeFile(join(dir, each.key), `${JSON.stringify(each)}\n`);
}

/**
 * The run's end: finishes every handed-over clean-up at once (removing a
 * namespace again is safe; the suite file's process may be gone mid-way),
 * puts each outcome into its record, and returns the failures, one line each.
 */
export async function finishHandedOver(
  kube: Kube,
  reportDir: string,
  runId: string,
  timeoutMs: number,
): Promise<string[]> {
  const dir = handedOverDir(reportDir, runId);
  const files = await readdir(dir).catch(() => [] as string[]);
  const going = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(join(dir, file), "utf8")) as HandedOver),
  );
  const outcomes = await awaitWithProgress(
    "clean-up",
    going.map(async ({ key, namespace, startedAt }): Promise<CleanupOutcome> => {
      const started = new Date(startedAt);
      try {
        const notes = await deleteNamespaceAndWait(kube, namespace, timeoutMs);
        return { key, notes, step: stepTiming("clean-up", started, Date.now()) };
      } catch (error) {
        return { key, notes: [], step: stepTiming("clean-up", started, Date.now()), error: error as Error };
      }
    }),
  );
  const failures: string[] = [];
  for (const outcome of outcomes) {
    const path = join(recordsDir(reportDir, runId), outcome.key);
    // A case that died before its record was written has only its clean-up to report.
    const record = await readFile(path, "utf8").then(
      (text) => JSON.parse(text) as ScenarioRecord,
      () => undefined,
    );
    if (record) await writeFile(path, `${JSON.stringify(withCleanup(record, outcome), null, 2)}\n`);
    if (outcome.error) failures.push(cleanupFailure(outcome));
  }
  await rm(dir, { recursive: true, force: true });
  return failures;
}

/** "rwo-same-node@amc-block: <why>": a failed clean-up, for the run's messages. */
export function cleanupFailure(outcome: CleanupOutcome): string {
  return `${outcome.key.replace(/\.json$/, "")}: ${outcome.error?.message ?? "failed"}`;
}
