import type { TestProject } from "vitest/node";
import { acquireCluster } from "../clusters/acquire.ts";
import type { ClusterInfo, ClusterNode } from "../clusters/types.ts";
import { removeRunObjects } from "../lib/cleanup.ts";
import { UsageError } from "../lib/errors.ts";
import { startGuardian } from "../lib/guardian.ts";
import { connect } from "../lib/kube/client.ts";
import { listSetting, newRunContext, prepareRun } from "../lib/prepare-run.ts";
import { say } from "../lib/progress.ts";
import { summarize } from "../lib/report/summary.ts";
import type { RunContext } from "../lib/run.ts";
import { readRecords } from "../lib/scenario/records.ts";
import { scenarios } from "../lib/scenario/scenarios.ts";
import type { StorageProfile } from "../lib/scenario/types.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterInfo;
    run: RunContext;
    nodes: ClusterNode[];
    nodeLabels: Record<string, Record<string, string>>;
    storage: StorageProfile[];
    scenarioFilter: string[];
  }
}

/**
 * Runs once before the end-to-end suites: brings up (or finds) the cluster,
 * prepares the run (leftovers of crashed runs removed, nodes found, storage
 * classes profiled) and hands all of it to the test files. Afterwards it
 * removes the run's objects and gives the cluster back.
 *
 * Settings: AMC_STORAGE_CLASSES and AMC_SCENARIOS (comma-separated filters),
 * AMC_IMAGE (workload image), AMC_REPORT_DIR (default reports), AMC_TIMEOUT_SCALE.
 */
export default async function setup(project: TestProject) {
  const scenarioFilter = listSetting(process.env.AMC_SCENARIOS);
  const unknownScenarios = scenarioFilter.filter((id) => !scenarios.some((s) => s.id === id));
  if (unknownScenarios.length > 0) {
    throw new UsageError(
      `AMC_SCENARIOS: unknown scenario(s) ${unknownScenarios.join(", ")}; known: ${scenarios.map((s) => s.id).join(", ")}`,
    );
  }
  const handle = await acquireCluster();
  const { release, ownedByRun, ...cluster } = handle;
  const settings = {
    storageClasses: listSetting(process.env.AMC_STORAGE_CLASSES),
    reportDir: process.env.AMC_REPORT_DIR ?? "reports",
    image: process.env.AMC_IMAGE ?? "alpine",
  };
  const run = await newRunContext(settings);
  // On a cluster the run does not own, an interrupted run's objects are removed by a guardian.
  const guardian = ownedByRun
    ? undefined
    : startGuardian({ runObjects: { kubeconfigPath: cluster.kubeconfigPath, runId: run.runId } });
  const kube = connect(cluster.kubeconfigPath);
  try {
    const prepared = await prepareRun(kube, cluster, run, settings);
    project.provide("cluster", cluster);
    project.provide("run", run);
    project.provide("nodes", prepared.nodes.nodes);
    project.provide("nodeLabels", prepared.nodes.labels);
    project.provide("storage", prepared.storage);
    project.provide("scenarioFilter", scenarioFilter);
  } catch (error) {
    guardian?.dismiss();
    await release();
    throw error;
  }
  return async () => {
    process.stderr.write(`\n${summarize(await readRecords(run.reportDir, run.runId))}\n\n`);
    const removed = await removeRunObjects(kube, run.runId);
    if (removed.length > 0) say("teardown", `removed what the run left: ${removed.join(", ")}`);
    guardian?.dismiss();
    await release();
  };
}
