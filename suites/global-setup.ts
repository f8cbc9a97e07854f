import { rmSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { acquireCluster } from "../app/acquire-cluster.ts";
import { cleanupCommandLine } from "../app/cli/cleanup-command.ts";
import { finishUnderGuardian } from "../app/guardian/finish.ts";
import { type CleanupTask, type Guardian, startGuardian } from "../app/guardian/guardian.ts";
import { restoreFaultedNodes } from "../app/guardian/restore-node.ts";
import { providerOf } from "../clusters/registry.ts";
import { type CleanupOptions, removeRunObjects } from "../lib/cleanup.ts";
import { type ClusterInfo, type NodeFaultMode, nodeFaultModes } from "../lib/cluster/contract.ts";
import { errorCodeOf, errorText } from "../lib/errors.ts";
import { faultLanes, laneLimit } from "../lib/failover/plan.ts";
import { connect } from "../lib/kube/client.ts";
import { clusterUid } from "../lib/kube/namespaces.ts";
import { newRunContext, prepareRun } from "../lib/prepare-run.ts";
import { loadProfile } from "../lib/profile/load-profile.ts";
import { writeRunProfile } from "../lib/profile/run-profile.ts";
import { createTestDriverStorageClasses } from "../lib/profile/testdriver-storage-class.ts";
import { say } from "../lib/progress.ts";
import type { RunStatus } from "../lib/report/document.ts";
import { writeNotStartedReport } from "../lib/report/not-started.ts";
import { plannedScenarios, RUN_PLAN_SCHEMA, suite, writePlan } from "../lib/report/plan.ts";
import { summarize } from "../lib/report/summary.ts";
import { reportRun } from "../lib/report/write.ts";
import { checkReportDir, lockReportDir, type ReportDirLock, reportDirLabel } from "../lib/report-dir.ts";
import type { RunContext } from "../lib/run.ts";
import { describeSetupFailure, noteOutcome } from "../lib/run-outcome.ts";
import { cleanupFailed, finishHandedOver } from "../lib/scenario/background-cleanups.ts";
import type { NodePool } from "../lib/scenario/nodes.ts";
import { selectScenarios } from "../lib/scenario/scenarios.ts";
import { timeoutsOf } from "../lib/scenario/timeouts.ts";
import type { StorageProfile } from "../lib/scenario/types.ts";
import { outcomeFileOf, readSettings, type Settings } from "../lib/settings.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterInfo;
    run: RunContext;
    /** Where pods may go: the schedulable nodes, their labels, and the nodes left out and why. */
    nodePool: NodePool;
    storage: StorageProfile[];
    scenarioFilter: string[];
  }
}

/**
 * As startRun, inside the report directory's lock (lib/report-dir.ts): checked and locked before
 * anything is written or removed in it, released after the run's own end. When the set-up fails,
 * `amc` learns why through AMC_OUTCOME_FILE (lib/run-outcome.ts), a run that did not get as far as
 * its plan leaves a junit.xml that says so, and the error is the first thing the user reads.
 */
export default async function setup(project: TestProject) {
  // The e2e and disruptive projects share this set-up: the first project to start it runs it for
  // both (one cluster, one run), providing to every project; the second finds it done.
  const shared = globalThis as { amcRunSetUp?: boolean };
  if (shared.amcRunSetUp) return;
  shared.amcRunSetUp = true;
  const started: { runId?: string } = {};
  let lock: ReportDirLock | undefined;
  let stopWatching = () => {};
  try {
    const settings = readSettings();
    const reportDir = checkReportDir(settings.reportDir, reportDirLabel());
    lock = await lockReportDir(reportDir, reportDirLabel());
    // Each run's Allure results start empty, or results of earlier runs would pile up in the report.
    rmSync(join(reportDir, "allure-results"), { recursive: true, force: true });
    // amc says itself when it is interrupted before the plan; under npm test and vitest the set-up does.
    if (!settings.outcomeFile) stopWatching = onInterruptBeforePlan(reportDir, started);
    const teardown = await startRun(project, started);
    const held = lock;
    return async () => {
      stopWatching();
      try {
        await teardown();
      } finally {
        await held.release();
      }
    };
  } catch (error) {
    stopWatching();
    if (lock) {
      try {
        writeNotStartedReport(lock.dir, started.runId, errorText(error));
      } catch (e) {
        say("report", `no junit.xml: ${(e as Error).message}`);
      }
    }
    await noteOutcome({ setupFailure: describeSetupFailure(error) }, outcomeFileOf());
    await lock?.release();
    sayFirst(project, error);
    throw error;
  }
}

/** Until the plan exists, an interrupted run (Ctrl-C, SIGTERM) writes junit.xml that says it did not start. */
function onInterruptBeforePlan(reportDir: string, started: { runId?: string }): () => void {
  // vitest's own handler exits the process right after: this one writes synchronously.
  const onSignal = (signal: NodeJS.Signals) => {
    const file = writeNotStartedReport(
      reportDir,
      started.runId,
      `interrupted (${signal}) before the run's plan existed`,
    );
    if (file) say("setup", `interrupted (${signal}) before the run started: ${file} says so`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

/**
 * vitest prints an error thrown by a global set-up after "No test files found" and its include
 * lists, under an "Unhandled Error" banner with a code frame and a stack into node_modules: the real
 * problem would come last. The set-up says it first (under amc, which learns it through the outcome
 * file, amc says it, in its own words, once vitest returns), and keeps vitest from saying it again.
 * vitest still fails the run (exit code 1).
 */
function sayFirst(project: TestProject, error: unknown): void {
  // A bug (an error without an amc code) shows its stack here too: amc's last line has only its message.
  if (!outcomeFileOf() || !errorCodeOf(error)) process.stderr.write(`${errorText(error)}\n`);
  const logger = project.vitest.logger;
  const printError = logger.printError.bind(logger);
  logger.printError = (err, options) => {
    if (err !== error) printError(err, options);
  };
  logger.printNoTestFound = () => {};
}

/**
 * When the node-failure scenarios will run, the guardian learns which nodes
 * they may fail before they do: if the run dies mid-fault it restores them
 * (every mode's restore is safe on a healthy node) and removes the
 * out-of-service taint.
 */
function guardNodeFaults(
  project: TestProject,
  guardian: Guardian,
  settings: Settings,
  cluster: ClusterInfo,
  pool: NodePool,
): FaultedNode | undefined {
  if (!runsDisruptive(project) || !selectScenarios(settings.scenarios).some((s) => s.failover))
    return undefined;
  const provider = providerOf(cluster.provider);
  const faults = provider.nodeFaults?.(cluster, settings);
  const lanes = faultLanes(
    pool,
    settings.failover.node,
    laneLimit(provider.facts.nodeFaults === true, settings.failover),
  );
  if (!faults || "unavailable" in faults || "notApplicable" in lanes) return undefined;
  // Every node the plan may fail (the suite's plan may use fewer lanes): restoring a healthy node is safe.
  const target = { provider: cluster.provider, cluster, nodes: lanes.map((l) => l.failed) };
  guardian.update({ nodeFaults: target });
  return target;
}

type FaultedNode = NonNullable<CleanupTask["nodeFaults"]>;

/** Whether this vitest run includes the project of the node-failure scenarios. */
function runsDisruptive(project: TestProject): boolean {
  return project.vitest.projects.some((p) => p.name === "disruptive");
}

/**
 * Runs once before the end-to-end suites: brings up (or finds) the cluster,
 * prepares the run (leftovers of crashed runs removed, nodes found, storage
 * classes profiled), writes the run's plan and hands all of it to the test
 * files. Afterwards it writes the reports, removes the run's objects and gives
 * the cluster back. A guardian process does the same if the run dies first.
 *
 * Its settings are the AMC_* variables, read once (lib/settings.ts).
 */
async function startRun(project: TestProject, started: { runId?: string }) {
  const settings = readSettings();
  const scenarioFilter = settings.scenarios;
  const run = await newRunContext({
    reportDir: settings.reportDir,
    image: settings.image ?? "alpine",
    ...(settings.pod ? { pod: settings.pod } : {}),
  });
  started.runId = run.runId;
  // amc's outcome file is the run's scratch: the guardian removes it if the run is killed. It is
  // told so before the file exists.
  const guardian = startGuardian({
    report: { reportDir: run.reportDir, runId: run.runId },
    ...(settings.outcomeFile ? { removePaths: [settings.outcomeFile] } : {}),
  });
  await noteOutcome({ runId: run.runId }, settings.outcomeFile);
  const report = async (status: RunStatus) => {
    const written = await reportRun(run.reportDir, run.runId, {
      finishedAt: new Date().toISOString(),
      status,
    });
    if (written) say("report", `${written.files.join(", ")} (certification.json SHA-256 ${written.digest})`);
    return written;
  };

  let handle: Awaited<ReturnType<typeof acquireCluster>>;
  try {
    handle = await acquireCluster(settings, guardian);
  } catch (error) {
    guardian.dismiss();
    throw error;
  }
  const { release, ownedByRun, ...cluster } = handle;
  // A cluster that brings its own workload image (kind's air-gapped images) is used unless AMC_IMAGE says otherwise.
  if (!settings.image && cluster.workloadImage) run.image = cluster.workloadImage;
  // What removes the run's objects by hand, named wherever a cleanup says what it left.
  const cleanupCommand = cleanupCommandLine(run.runId, settings.cluster, cluster.name);
  // On a cluster the run does not own, the guardian removes an interrupted run's objects.
  if (!ownedByRun)
    guardian.update({
      runObjects: { kubeconfigPath: cluster.kubeconfigPath, runId: run.runId, command: cleanupCommand },
    });
  const kube = connect(cluster.kubeconfigPath);

  /**
   * The run's own end: its reports, its objects, the cluster given back.
   * Each step the guardian is struck from once done (reports written
   * complete are never rewritten as interrupted); whatever fails stays the
   * guardian's, which does it when this process ends; all done, it is dismissed.
   */
  let faulted: FaultedNode | undefined;
  let probeRemoval: Promise<void> = Promise.resolve();
  const finishRun = (status: RunStatus, cleanup: CleanupOptions = {}) =>
    finishUnderGuardian(guardian, [
      {
        // First: the cluster's other parts may need the node. The suite restored it; a worker that
        // died mid-fault did not (each restore is safe on a healthy node).
        what: "making sure the node the run failed is restored",
        parts: ["nodeFaults"],
        work: async () => {
          if (faulted) {
            // Every node tried, whatever happened to the one before; what failed is the guardian's.
            const failed: string[] = [];
            await restoreFaultedNodes(faulted, async (what, work) => {
              await work().catch((error) => failed.push(`${what}: ${(error as Error).message}`));
            });
            if (failed.length > 0) throw new Error(failed.join("; "));
          }
        },
      },
      {
        what: "finishing the cases' clean-up",
        parts: [],
        work: async () => {
          await probeRemoval;
          const failures = await finishHandedOver(
            kube,
            run.reportDir,
            run.runId,
            timeoutsOf(settings).cleanup,
          );
          if (failures.length > 0) throw cleanupFailed(failures);
        },
      },
      {
        what: "writing the reports",
        parts: ["report"],
        work: async () => {
          const written = await report(status);
          if (written && status === "complete") {
            process.stderr.write(`\n${summarize(written.certification)}\n\n`);
          }
        },
      },
      {
        what: `removing the objects of run ${run.runId}`,
        parts: ["runObjects"],
        work: async () => {
          // On a cluster of the run's own one try: the cluster goes next, with whatever is on it.
          const removed = await removeRunObjects(kube, run.runId, {
            command: cleanupCommand,
            ...cleanup,
            ...(ownedByRun ? { patienceMs: 0 } : {}),
          }).catch((error: Error) => {
            if (!ownedByRun) throw error;
            say("teardown", `${error.message}; the run's own cluster goes next, with everything on it`);
            return [];
          });
          if (removed.length > 0) say("teardown", `removed what the run left: ${removed.join(", ")}`);
        },
      },
      // Releasing removes the private kubeconfig the guardian needs to remove the run's objects.
      {
        what: "giving the cluster back",
        parts: ["clusters", "removePaths"],
        work: release,
        skipWhileLeft: ["runObjects"],
      },
    ]);

  try {
    // amc certify: the vendor profile whose claims every rendering of this run's reports checks.
    const profile = settings.profile ? await loadProfile(settings.profile) : undefined;
    // Classes an upstream test-driver file asks the run to make (StorageClass.FromFile, FromName),
    // labelled with the run: removed with its other objects, also by the guardian and `amc cleanup`.
    const created = await createTestDriverStorageClasses(kube, profile, run);
    if (created.length > 0) say("certify", `created storage class(es) ${created.join(", ")} for this run`);
    const prepared = await prepareRun(kube, cluster, run, settings);
    const { kubeconfigPath: _path, ...publicCluster } = cluster;
    await writePlan(run.reportDir, {
      schema: RUN_PLAN_SCHEMA,
      runId: run.runId,
      startedAt: run.startedAt,
      suite,
      cluster: publicCluster,
      schedulableNodes: prepared.nodes.nodes,
      excludedNodes: prepared.nodes.excluded,
      storage: prepared.storage,
      ...(await clusterUid(kube).then((uid) => (uid ? { clusterUid: uid } : {}))),
      // The node-failure scenarios run only in the disruptive project, once per fault mode.
      scenarios: plannedScenarios(
        selectScenarios(scenarioFilter).filter((s) => !s.failover || runsDisruptive(project)),
        settings.failover.modes.length > 0 ? (settings.failover.modes as NodeFaultMode[]) : nodeFaultModes,
      ),
    });
    if (profile) await writeRunProfile(run.reportDir, run.runId, profile);
    for (const each of project.vitest.projects) {
      each.provide("cluster", cluster);
      each.provide("run", run);
      each.provide("nodePool", prepared.nodes);
      each.provide("storage", prepared.storage);
      each.provide("scenarioFilter", scenarioFilter);
    }
    faulted = guardNodeFaults(project, guardian, settings, cluster, prepared.nodes);
    // The probe's volumes go while the first cases run; a node fault must not meet them half-removed.
    probeRemoval = prepared.probeRemoval;
    if (faulted) await probeRemoval;
  } catch (error) {
    // The set-up's error is what the user needs: a cleanup that fails here says so and leaves the
    // rest to the guardian, which keeps trying after amc exits (one try here, not minutes).
    await finishRun("failed", { patienceMs: 0 }).catch(() => undefined);
    throw error;
  }
  return () => finishRun("complete");
}
