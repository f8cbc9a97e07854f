import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Reporter } from "vitest/node";
import { errorCodes, exitCodes, InfrastructureError, UsageError } from "../../lib/errors.ts";
import { say } from "../../lib/progress.ts";
import type { Certification } from "../../lib/report/document.ts";
import { writeNotStartedReport } from "../../lib/report/not-started.ts";
import { checkReportDir, lockReportDir, type ReportDirLock, reportDirLabel } from "../../lib/report-dir.ts";
import {
  OUTCOME_FILE_VARIABLE,
  type RunOutcome,
  readOutcome,
  type SetupFailure,
} from "../../lib/run-outcome.ts";
import { selectScenarios } from "../../lib/scenario/scenarios.ts";
import type { AccessMode } from "../../lib/scenario/types.ts";
import { readSettings } from "../../lib/settings.ts";
import { knownDeviationOf } from "../../suites/known-deviations.ts";
import { ProgressLines } from "./progress-lines.ts";

/**
 * Runs the end-to-end scenario suites in this process through vitest's Node
 * API, with the settings in AMC_* variables (the suites' global set-up and
 * vitest.config.ts read them), and returns the run's certification document
 * as the set-up's teardown wrote it.
 */

const packageRoot = fileURLToPath(new URL("../../", import.meta.url));

const suiteFiles: Record<AccessMode, string> = {
  ReadWriteOnce: "suites/rwo.e2e.test.ts",
  ReadWriteOncePod: "suites/rwop.e2e.test.ts",
  ReadWriteMany: "suites/rwx.e2e.test.ts",
  ReadOnlyMany: "suites/rox.e2e.test.ts",
};

/** The node-failure scenarios' suite: vitest's "disruptive" project runs it after the others. */
const disruptiveSuite = "suites/node-failure.disruptive.test.ts";
const workloadsSuite = "suites/workloads.e2e.test.ts";
const mixedModesSuite = "suites/mixed-modes.e2e.test.ts";
const zonesSuite = "suites/zones.e2e.test.ts";
/** The scenarios that take a zone down: disruptive too, one case at a time. */
const zoneFailoverSuite = "suites/zone-failover.disruptive.test.ts";

/** Only the suite files that hold a selected scenario: vitest fails a file without tests. */
export function suitesFor(scenarioFilter: readonly string[]): string[] {
  const selected = selectScenarios(scenarioFilter);
  const modes = new Set(selected.filter((s) => !s.failover && !s.family).map((s) => s.accessMode));
  return [
    ...[...modes].map((mode) => suiteFiles[mode]),
    ...(selected.some((s) => s.family === "mixed-modes") ? [mixedModesSuite] : []),
    ...(selected.some((s) => s.family === "workloads") ? [workloadsSuite] : []),
    ...(selected.some((s) => s.family === "zones" && !s.disrupts) ? [zonesSuite] : []),
    ...(selected.some((s) => s.disrupts) ? [zoneFailoverSuite] : []),
    ...(selected.some((s) => s.failover) ? [disruptiveSuite] : []),
  ];
}

/** What a caller adds to a run: more of vitest's reporters (the Sonobuoy plugin's progress). */
export interface SuitesExtras {
  reporters?: Reporter[];
}

export interface SuitesResult {
  runId: string;
  certification: Certification;
  /** vitest failed tests (or had errors) that the verdicts do not account for. */
  failedOutsideVerdicts: boolean;
}

/** A set-up that failed on the user's input (a storage class the cluster lacks): exit code 2. */
export class SetupUsageError extends UsageError {
  override name = "SetupUsageError";
  readonly failure: SetupFailure;
  constructor(failure: SetupFailure) {
    super(failure.message, failure.code);
    this.failure = failure;
  }
}

/** The set-up's error again, on this side of the process boundary, with its code. */
function setupError(failure: SetupFailure): Error {
  return errorCodes[failure.code] === exitCodes.usage
    ? new SetupUsageError(failure)
    : new InfrastructureError(`the run could not start: ${failure.message}`, failure.code);
}

/** The run's id as the set-up noted it, read on the way out of a signal handler (synchronous). */
function runIdNoted(outcomeFile: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(outcomeFile, "utf8")) as RunOutcome).runId;
  } catch {
    return undefined;
  }
}

/**
 * Runs the suites with these AMC_* variables over the process's own (already
 * checked by runEnvironment). The report directory is checked (again: the
 * commands check it first) and locked before vitest loads its configuration,
 * and stays locked to the end of the run.
 */
export async function runSuites(
  variables: Record<string, string>,
  extras: SuitesExtras = {},
): Promise<SuitesResult> {
  const settings = readSettings({ ...process.env, ...variables });
  // run-options sets AMC_REPORT_DIR only from --report-dir.
  const label = reportDirLabel(process.env, variables.AMC_REPORT_DIR);
  let lock: ReportDirLock | undefined;
  // The set-up's note to amc: the run's only scratch. Not created here: the set-up writes it once its
  // guardian has been told to remove it, so that a run killed at any point leaves no file behind.
  const outcomeFile = join(tmpdir(), `amc-run-${process.pid}-${randomBytes(6).toString("hex")}.json`);
  // Ctrl-C (SIGINT) and SIGTERM (CI runners, `timeout`) alike: vitest exits at once (its own handler
  // calls process.exit) without its teardowns; the guardian the global set-up started then removes the
  // run's objects (or its cluster) and writes the partial reports.
  const onInterrupt = (signal: NodeJS.Signals) => {
    process.exitCode = exitCodes.interrupted;
    const runId = runIdNoted(outcomeFile);
    rmSync(outcomeFile, { force: true }); // process.exit below skips the finally
    // Before its plan a run has no report, from itself or its guardian: junit.xml says it did not start.
    const notStarted = lock
      ? writeNotStartedReport(lock.dir, runId, `interrupted (${signal}) before the run's plan existed`)
      : undefined;
    say(
      "run",
      notStarted
        ? `interrupted (${signal}) before the run started: ${notStarted} says so; the run's guardian removes what it created`
        : `interrupted (${signal}): the run's guardian removes what it created and writes the partial reports`,
    );
    setTimeout(() => process.exit(exitCodes.interrupted), 100);
  };
  // `on`, not `once`: signal-exit (in execa and proper-lockfile) re-raises the signal, killing the
  // process before it can exit 130, when no listener but its own is left.
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  try {
    // Before anything is written or removed in it (vitest.config.ts, the set-up, the reporters).
    const reportDir = checkReportDir(settings.reportDir, label);
    lock = await lockReportDir(reportDir, label);
    const files = suitesFor(settings.scenarios).map((f) => join(packageRoot, f));
    // vitest.config.ts, the global set-up and the workers (forked from here) all read process.env.
    Object.assign(process.env, variables, {
      AMC_REPORT_DIR: reportDir,
      [OUTCOME_FILE_VARIABLE]: outcomeFile,
    });
    const onTerminal = Boolean(process.stdout.isTTY) && !process.env.CI;
    // Loaded here, not at the top: help and usage errors need none of vitest.
    const { startVitest } = await import("vitest/node");
    const vitest = await startVitest("test", files, {
      root: packageRoot,
      config: join(packageRoot, "vitest.config.ts"),
      // Vite's module runner loads the configuration in memory: bundling it writes a file beside it,
      // and the installed package's directory may be read-only (the suite's image).
      configLoader: "runner",
      project: ["e2e", "disruptive"],
      watch: false,
      // Replaces the configuration's list. On a terminal "verbose" keeps the running cases on screen
      // with their elapsed time and prints each as it ends; off a terminal it would print only the
      // ends, so "default" and a plain line per start and end. Allure's results as configured.
      reporters: [
        ...(onTerminal ? ["verbose" as const] : ["default" as const, new ProgressLines()]),
        ["allure-vitest/reporter", { resultsDir: join(reportDir, "allure-results") }],
        ...(extras.reporters ?? []),
      ],
    });
    const failedTests = vitest.state.getCountOfFailedTests() + vitest.state.getUnhandledErrors().length;
    // amc decides its own exit code from the verdicts, not vitest's.
    process.exitCode = undefined;
    const outcome = await readOutcome(outcomeFile);
    // The set-up kept vitest from printing its error (suites/global-setup.ts): amc says it, first.
    if (outcome.setupFailure) throw setupError(outcome.setupFailure);
    if (!outcome.runId) {
      throw new InfrastructureError("the run did not start (vitest's output above says why)");
    }
    const certification = await readCertification(reportDir, outcome.runId);
    // Deviations and inconclusive results fail their tests; other failures (a clean-up) are the cluster's.
    // A listed deviation passes its test when AMC_KNOWN_DEVIATIONS is set (suites/known-deviations.ts).
    const provisionerOf = (className: string) =>
      certification.storageClasses.find((c) => c.name === className)?.provisioner ?? "";
    const passedAsKnown = (r: Certification["results"][number]) =>
      settings.knownDeviations &&
      knownDeviationOf({ provisioner: provisionerOf(r.storageClass), scenario: r.scenario }) !== undefined;
    const explained = certification.results.filter(
      (r) => (r.verdict === "deviates" && !passedAsKnown(r)) || r.verdict === "inconclusive",
    ).length;
    return { runId: outcome.runId, certification, failedOutsideVerdicts: failedTests > explained };
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
    await rm(outcomeFile, { force: true });
    await lock?.release();
  }
}

async function readCertification(reportDir: string, runId: string): Promise<Certification> {
  const file = join(reportDir, "certification.json");
  const cert = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as Certification,
    () => undefined,
  );
  if (cert?.run.id !== runId) {
    throw new InfrastructureError(`run ${runId} wrote no report to ${file} (vitest's output above says why)`);
  }
  say("run", `report of run ${runId}: ${reportDir}`);
  return cert;
}
