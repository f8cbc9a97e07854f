import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InfrastructureError } from "../errors.ts";
import type { Kube } from "../kube/client.ts";
import { deleteNamespaceAndWait, removeNamespaces } from "../kube/namespaces.ts";
import { formatDuration, heartbeat, say } from "../progress.ts";
import { recordsDir, writeRecord } from "./records.ts";
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
  /** The case's namespaces (rwop-preemption-namespaces has two). */
  namespaces: string[];
  startedAt: string;
}

interface Running extends HandedOver {
  outcome?: CleanupOutcome;
}

/** `work`'s notes, or its error, with the clean-up's step timing from `started` to when it settled. */
async function settled(key: string, started: Date, work: Promise<string[]>): Promise<CleanupOutcome> {
  try {
    const notes = await work;
    return { key, notes, step: stepTiming("clean-up", started, Date.now()) };
  } catch (error) {
    return { key, notes: [], step: stepTiming("clean-up", started, Date.now()), error: error as Error };
  }
}

export class BackgroundCleanups {
  readonly #running = new Map<string, Running>();

  /** Starts `work` (the namespace's removal) now; it returns the notes the record keeps (volumes left, and why). */
  start(key: string, namespaces: readonly string[], work: () => Promise<string[]>): void {
    const started = new Date();
    const entry: Running = { key, namespaces: [...namespaces], startedAt: started.toISOString() };
    this.#running.set(key, entry);
    void settled(key, started, work()).then((outcome) => (entry.outcome = outcome));
  }

  /** The clean-ups that are done, taken out of the set. */
  finished(): CleanupOutcome[] {
    const done = [...this.#running.values()].flatMap((entry) => (entry.outcome ? [entry.outcome] : []));
    for (const outcome of done) this.#running.delete(outcome.key);
    return done;
  }

  /** The clean-ups still going, taken out of the set: the caller hands them over. */
  stillGoing(): HandedOver[] {
    const going = [...this.#running.values()].map(({ key, namespaces, startedAt }) => ({
      key,
      namespaces,
      startedAt,
    }));
    this.#running.clear();
    return going;
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
    going.map(({ key, namespaces, startedAt }) =>
      settled(
        key,
        new Date(startedAt),
        removeNamespaces(namespaces, (ns) => deleteNamespaceAndWait(kube, ns, timeoutMs)),
      ),
    ),
  );
  const failures = await recordCleanups(reportDir, outcomes, async (key) =>
    // A case that died before its record was written has only its clean-up to report.
    readFile(join(recordsDir(reportDir, runId), key), "utf8").then(
      (text) => JSON.parse(text) as ScenarioRecord,
      () => undefined,
    ),
  );
  await rm(dir, { recursive: true, force: true });
  return failures;
}

/**
 * Writes each outcome into its case's record (when there is one) and returns
 * the failed clean-ups, one line each.
 */
export async function recordCleanups(
  reportDir: string,
  outcomes: readonly CleanupOutcome[],
  recordOf: (key: string) => ScenarioRecord | undefined | Promise<ScenarioRecord | undefined>,
): Promise<string[]> {
  const failures: string[] = [];
  for (const outcome of outcomes) {
    const record = await recordOf(outcome.key);
    if (record) await writeRecord(reportDir, withCleanup(record, outcome));
    if (outcome.error) failures.push(cleanupFailure(outcome));
  }
  return failures;
}

/** The error a run or a suite file fails with when clean-ups failed: the verdicts stand. */
export function cleanupFailed(failures: readonly string[]): InfrastructureError {
  return new InfrastructureError(`clean-up failed (the verdicts stand):\n${failures.join("\n")}`);
}

/** "rwo-same-node@amc-block: <why>": a failed clean-up, for the run's messages. */
function cleanupFailure(outcome: CleanupOutcome): string {
  return `${outcome.key.replace(/\.json$/, "")}: ${outcome.error?.message ?? "failed"}`;
}
