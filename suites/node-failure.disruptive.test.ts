import * as allure from "allure-js-commons";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { providerOf } from "../clusters/registry.ts";
import { laneLimit, type PlannedFault, planFailover } from "../lib/failover/plan.ts";
import { notRunRecord } from "../lib/failover/record.ts";
import { type FaultResult, runFault } from "../lib/failover/run-fault.ts";
import { connect } from "../lib/kube/client.ts";
import { ALLURE_RUN_LABEL } from "../lib/report/allure-runs.ts";
import { cleanupFailed, finishHandedOver } from "../lib/scenario/background-cleanups.ts";
import { writeRecord } from "../lib/scenario/records.ts";
import { selectScenarios } from "../lib/scenario/scenarios.ts";
import { timeoutsOf } from "../lib/scenario/timeouts.ts";
import type { ScenarioRecord } from "../lib/scenario/types.ts";
import { readSettings } from "../lib/settings.ts";
import { explain } from "./scenario-suite.ts";

/**
 * The node-failure scenarios (lib/failover/): disruptive, so they run in a
 * vitest project of their own after every other suite (vitest.config.ts,
 * groupOrder). One fault serves every class: its cases share one run of it,
 * then each case reports its own record. A lane's faults run one at a time
 * (one node cannot fail twice at once); the lanes, on nodes of their own,
 * side by side (lib/failover/plan.ts): the cases run concurrently, and the
 * first case of a lane to ask starts the lane. Cases that cannot run say
 * why, as not applicable.
 */

const cluster = inject("cluster");
const run = inject("run");
const pool = inject("nodePool");
const storage = inject("storage");
const filter = inject("scenarioFilter");
const settings = readSettings();
const kube = connect(cluster.kubeconfigPath);
const timeouts = timeoutsOf(settings);
const scenarios = selectScenarios(filter).filter((s) => s.failover);
const faults = providerOf(cluster.provider).nodeFaults?.(cluster, settings) ?? {
  unavailable: `the ${cluster.provider} provider cannot fail nodes`,
};
const plan = planFailover({
  scenarios,
  storage,
  pool,
  faults,
  settings: settings.failover,
  lanes: laneLimit(providerOf(cluster.provider).facts.nodeFaults === true, settings.failover),
});

async function report(record: ScenarioRecord): Promise<void> {
  await allure.epic("node failure");
  await allure.feature(record.scenario);
  await allure.story(record.storageClass);
  await allure.label(ALLURE_RUN_LABEL, run.runId);
  await allure.parameter("fault mode", record.failover?.mode ?? "");
  await writeRecord(run.reportDir, record);
  await allure.attachment("record.json", JSON.stringify(record, null, 2), "application/json");
}

describe.concurrent("node failure (disruptive)", () => {
  if (scenarios.length === 0 || storage.length === 0) {
    const why =
      scenarios.length === 0
        ? `no node-failure scenario selected (AMC_SCENARIOS=${filter.join(",")})`
        : "no storage class under test";
    it.skip(`node failure: ${why}`, () => {});
    return;
  }
  for (const notRun of plan.notRun) {
    const { scenario, storage: profile, mode } = notRun;
    it(`${scenario.id} @ ${profile.className} (${mode})`, async ({ skip }) => {
      await report(notRunRecord({ ...notRun, cluster, run }));
      skip(`${notRun.verdict}: ${notRun.reason}`);
    });
  }
  if (plan.faults.length > 0) {
    // The other suites' clean-ups may still be going (they end at their verdicts): a fault must not
    // meet volumes half-removed, nor be slowed by them. Their outcomes go into their records here.
    beforeAll(async () => {
      const failures = await finishHandedOver(kube, run.reportDir, run.runId, timeouts.cleanup);
      if (failures.length > 0) throw cleanupFailed(failures);
    }, 4 * timeouts.cleanup);
  }
  const results = new Map<PlannedFault, Promise<FaultResult>>();
  /**
   * The fault's result; the first case to ask starts every fault of its lane, one after another.
   * That case's signal (a timeout, Ctrl-C) ends them, each node restored.
   */
  const resultOf = (wanted: PlannedFault, signal: AbortSignal): Promise<FaultResult> => {
    if (!results.has(wanted)) {
      let previous: Promise<unknown> = Promise.resolve();
      for (const fault of plan.faults.filter((f) => f.lane === wanted.lane)) {
        const result = previous.then(() =>
          runFault({
            kube,
            cluster,
            labels: pool.labels,
            run,
            timeouts,
            faults: faults as Exclude<typeof faults, { unavailable: string }>,
            mode: fault.mode,
            settings: settings.failover,
            nodes: fault.nodes,
            cases: fault.cases,
            signal,
          }),
        );
        results.set(fault, result);
        previous = result.catch(() => undefined);
      }
    }
    return results.get(wanted) as Promise<FaultResult>;
  };
  for (const fault of plan.faults) {
    for (const fcase of fault.cases) {
      const name = `${fcase.scenario.id} @ ${fcase.storage.className} (${fault.mode})`;
      it(name, async ({ skip, annotate, signal }) => {
        const { records, cleanupError } = await resultOf(fault, signal);
        const record = records.find(
          (r) => r.scenario === fcase.scenario.id && r.storageClass === fcase.storage.className,
        ) as ScenarioRecord;
        await report(record);
        if (cleanupError) throw cleanupError;
        if (record.verdict === "not-applicable") return skip(`not applicable: ${record.reason}`);
        if (record.verdict === "finding") await annotate(`finding: ${record.reason}`, "finding");
        expect(record.verdict, explain(record)).toMatch(/^(conforms|finding)$/);
      });
    }
  }
});
