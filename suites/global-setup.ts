import type { TestProject } from "vitest/node";
import { acquireCluster } from "../app/acquire-cluster.ts";
import { startGuardian } from "../app/guardian/guardian.ts";
import { removeRunObjects } from "../lib/cleanup.ts";
import type { ClusterInfo } from "../lib/cluster/contract.ts";
import { connect } from "../lib/kube/client.ts";
import { newRunContext, prepareRun } from "../lib/prepare-run.ts";
import { loadProfile } from "../lib/profile/load-profile.ts";
import { writeRunProfile } from "../lib/profile/run-profile.ts";
import { say } from "../lib/progress.ts";
import type { RunStatus } from "../lib/report/certification.ts";
import { RUN_PLAN_SCHEMA, suite, writePlan } from "../lib/report/plan.ts";
import { summarize } from "../lib/report/summary.ts";
import { reportRun } from "../lib/report/write.ts";
import type { RunContext } from "../lib/run.ts";
import { describeSetupFailure, noteOutcome } from "../lib/run-outcome.ts";
import type { NodePool } from "../lib/scenario/nodes.ts";
import { selectScenarios } from "../lib/scenario/scenarios.ts";
import type { StorageProfile } from "../lib/scenario/types.ts";
import { outcomeFileOf, readSettings } from "../lib/settings.ts";

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

/** As startRun; when it fails, `amc` learns why through AMC_OUTCOME_FILE (lib/run-outcome.ts). */
export default async function setup(project: TestProject) {
  try {
    return await startRun(project);
  } catch (error) {
    await noteOutcome({ setupFailure: describeSetupFailure(error) }, outcomeFileOf());
    throw error;
  }
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
async function startRun(project: TestProject) {
  const settings = readSettings();
  const scenarioFilter = settings.scenarios;
  const run = await newRunContext({ reportDir: settings.reportDir, image: settings.image ?? "alpine" });
  await noteOutcome({ runId: run.runId }, settings.outcomeFile);
  const guardian = startGuardian({ report: { reportDir: run.reportDir, runId: run.runId } });
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
  // On a cluster the run does not own, the guardian removes an interrupted run's objects.
  if (!ownedByRun)
    guardian.update({ runObjects: { kubeconfigPath: cluster.kubeconfigPath, runId: run.runId } });
  const kube = connect(cluster.kubeconfigPath);
  try {
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
      scenarios: selectScenarios(scenarioFilter).map(({ id, title, accessMode }) => ({
        id,
        title,
        accessMode,
      })),
    });
    // amc certify: the vendor profile whose claims every rendering of this run's reports checks.
    if (settings.profile) {
      await writeRunProfile(run.reportDir, run.runId, await loadProfile(settings.profile));
    }
    project.provide("cluster", cluster);
    project.provide("run", run);
    project.provide("nodePool", prepared.nodes);
    project.provide("storage", prepared.storage);
    project.provide("scenarioFilter", scenarioFilter);
  } catch (error) {
    await report("failed").catch((e: Error) => say("report", `no report: ${e.message}`));
    await removeRunObjects(kube, run.runId).catch(() => undefined);
    await release();
    guardian.dismiss();
    throw error;
  }
  return async () => {
    const written = await report("complete");
    if (written) process.stderr.write(`\n${summarize(written.certification)}\n\n`);
    const removed = await removeRunObjects(kube, run.runId);
    if (removed.length > 0) say("teardown", `removed what the run left: ${removed.join(", ")}`);
    await release();
    guardian.dismiss();
  };
}
