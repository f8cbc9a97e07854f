import * as allure from "allure-js-commons";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connect } from "../lib/kube/client.ts";
import { ALLURE_RUN_LABEL } from "../lib/report/allure-runs.ts";
import { eventLine, evidenceText } from "../lib/report/evidence-text.ts";
import {
  BackgroundCleanups,
  cleanupFailed,
  handOver,
  recordCleanups,
} from "../lib/scenario/background-cleanups.ts";
import { recordFileName, writeRecord } from "../lib/scenario/records.ts";
import { runScenario, type ScenarioInput, type ScenarioResult } from "../lib/scenario/runner.ts";
import { selectScenarios } from "../lib/scenario/scenarios.ts";
import { timeoutsOf } from "../lib/scenario/timeouts.ts";
import {
  type AccessMode,
  type ScenarioFamily,
  type ScenarioRecord,
  shortAccessMode,
} from "../lib/scenario/types.ts";
import { readSettings } from "../lib/settings.ts";
import { knownDeviationOf } from "./known-deviations.ts";

/**
 * Writes one family's suite once and expands it over scenarios x storage
 * classes. Names group in CI dashboards: the suite is the family (access
 * mode), each case "scenario @ class". Cases run concurrently, each in a
 * namespace of its own. A case ends at its verdict; its clean-up goes on in
 * the background, and what is still going when the file ends the run's end
 * finishes (lib/scenario/background-cleanups.ts).
 */

/** The failure message: the verdict, its reason, and the evidence behind it. */
export function explain(record: ScenarioRecord): string {
  const storage = `class ${record.storageClass} (${record.provisioner}), family ${record.storageFamily}: ${record.familyReason}`;
  return `${storage}\n${evidenceText(record)}`;
}

/** Allure parameters and attachments: what the run was about, and its evidence as files. */
async function attachToReport(record: ScenarioRecord): Promise<void> {
  const parameters: [string, string][] = [
    ["class", record.storageClass],
    ["provisioner", record.provisioner],
    ["family", record.storageFamily],
    ["nodes", record.nodes.reason],
    ["Kubernetes", record.cluster.kubernetesVersion],
    ["cluster provider", record.cluster.provider],
    ["fidelity", record.cluster.fidelity],
    ["verdict", record.verdict],
  ];
  for (const [name, value] of parameters) await allure.parameter(name, value);
  for (const [name, yaml] of Object.entries(record.evidence.manifests)) {
    await allure.attachment(`manifest ${name}.yaml`, yaml, "text/yaml");
  }
  const timeline = record.evidence.events.map((e) => `${eventLine(e)} (seen ${e.receivedAt})`);
  await allure.attachment("events timeline", timeline.join("\n") || "no events", "text/plain");
  await allure.attachment("record.json", JSON.stringify(record, null, 2), "application/json");
}

/**
 * A suite file's family: the scenarios of one access mode (the access-mode
 * families), claims asking for several modes (mixed-modes), or the workloads
 * family (rollouts and rescheduling, every mode).
 */
export type SuiteFamily = AccessMode | ScenarioFamily;

const familyTitle = (family: SuiteFamily) =>
  family === "workloads"
    ? "workloads (rollouts and rescheduling)"
    : family === "mixed-modes"
      ? "mixed modes (claims asking for several access modes)"
      : family === "zones"
        ? "zones (a pod in another zone)"
        : `${family} (${shortAccessMode[family]})`;

const isScenarioFamily = (family: SuiteFamily): family is ScenarioFamily =>
  family === "mixed-modes" || family === "workloads" || family === "zones";

/** What a vitest case hands its body: to skip it, note a finding, and stop it (a timeout, Ctrl-C). */
export interface CaseTools {
  skip: (note?: string) => never;
  annotate: (message: string, type?: string) => Promise<unknown>;
  signal: AbortSignal;
}

/**
 * One case, "scenario @ class": run, its record written and attached to the
 * report, then judged: not applicable is skipped with the reason, a finding
 * annotated, anything but conforms or finding fails with the evidence. A
 * clean-up awaited in the case (no `cleanups`) that failed fails it.
 */
export async function runCase(
  { skip, annotate, signal }: CaseTools,
  epic: string,
  input: Omit<ScenarioInput, "signal" | "step">,
): Promise<ScenarioResult> {
  const { scenario, storage, run } = input;
  await allure.epic(epic);
  await allure.feature(scenario.id);
  await allure.story(storage.className);
  await allure.description(scenario.title);
  await allure.label(ALLURE_RUN_LABEL, run.runId);
  const result = await runScenario({ ...input, signal, step: (name, body) => allure.step(name, body) });
  const { record, cleanupError } = result;
  await writeRecord(run.reportDir, record);
  await attachToReport(record);
  if (cleanupError) throw cleanupError;
  if (record.verdict === "not-applicable") skip(`not applicable: ${record.reason}`);
  const known = readSettings().knownDeviations ? knownDeviationOf(record) : undefined;
  if (known) {
    await annotate(`known deviation of ${known.provisioner}: ${known.why}`, "known-deviation");
    expect(
      record.verdict,
      `a known deviation (suites/known-deviations.ts) that did not happen: ${explain(record)}`,
    ).toBe("deviates");
    return result;
  }
  if (record.verdict === "finding") await annotate(`finding: ${record.reason}`, "finding");
  expect(record.verdict, explain(record)).toMatch(/^(conforms|finding)$/);
  return result;
}

export function scenarioSuite(family: SuiteFamily): void {
  const cluster = inject("cluster");
  const run = inject("run");
  const pool = inject("nodePool");
  const storage = inject("storage");
  const filter = inject("scenarioFilter");
  const kube = connect(cluster.kubeconfigPath);
  const timeouts = timeoutsOf(readSettings());
  // The node-failure scenarios run in their own suite, after these (suites/node-failure.disruptive.test.ts).
  const selected = selectScenarios(filter).filter(
    (s) =>
      !s.failover &&
      !s.disrupts &&
      (isScenarioFamily(family) ? s.family === family : s.accessMode === family && !s.family),
  );
  const cleanups = new BackgroundCleanups();
  const records = new Map<string, ScenarioRecord>();

  describe.concurrent(familyTitle(family), () => {
    // vitest fails a file without a test ("No test found in suite"): a filter (AMC_SCENARIOS) that
    // selects none of this access mode's scenarios is no failure, so the file says so in a skipped case.
    if (selected.length === 0 || storage.length === 0) {
      const name = isScenarioFamily(family) ? family : shortAccessMode[family];
      const why =
        selected.length === 0
          ? `no ${name} scenario selected (AMC_SCENARIOS=${filter.join(",")})`
          : "no storage class under test";
      it.skip(`${name}: ${why}`, () => {});
      return;
    }
    // What is done goes into its record now; what is still going is the run's end's (no wait here).
    afterAll(async () => {
      const failed = await recordCleanups(run.reportDir, cleanups.finished(), (key) => records.get(key));
      await handOver(run.reportDir, run.runId, cleanups.stillGoing());
      if (failed.length > 0) throw cleanupFailed(failed);
    });
    for (const scenario of selected) {
      for (const profile of storage) {
        it(`${scenario.id} @ ${profile.className}`, async (test) => {
          const input = { kube, cluster, pool, storage: profile, scenario, run, timeouts, cleanups };
          const { record } = await runCase(test, family, input);
          records.set(recordFileName(record), record);
        });
      }
    }
  });
}
