import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterInfo, ClusterNode, NodeFaultMode } from "../cluster/contract.ts";
import { recordsDir } from "../scenario/records.ts";
import type { Scenario } from "../scenario/scenarios.ts";
import type { AccessMode, ScenarioFamily, ScenarioId, StorageProfile } from "../scenario/types.ts";

/**
 * What a run set out to do, written before its first scenario next to its
 * records (<reportDir>/records/<run id>/plan.json). Reports are the plan plus
 * the records: a planned case without a record is reported as not run. A case
 * is a scenario on a class, and for the node-failure scenarios on a class in
 * one fault mode (the modes the run injects are in the plan: faultModes).
 */

export const RUN_PLAN_SCHEMA = "access-mode-conformance/run-plan@1";

export interface RunPlan {
  schema: typeof RUN_PLAN_SCHEMA;
  runId: string;
  startedAt: string;
  suite: { name: string; version: string };
  cluster: Omit<ClusterInfo, "kubeconfigPath">;
  schedulableNodes: ClusterNode[];
  excludedNodes: { name: string; why: string }[];
  storage: StorageProfile[];
  scenarios: PlannedScenario[];
  /** The uid of the cluster's kube-system namespace: what tells two runs were on one cluster (merge.ts). */
  clusterUid?: string;
  /** A merged run (amc report --merge): the runs it was made of. */
  mergedFrom?: { reportDir: string; runId: string }[];
}

export interface PlannedScenario {
  id: ScenarioId;
  title: string;
  accessMode: AccessMode;
  /** Every access mode the claim asks for, when more than one (the mixed-mode scenarios). */
  accessModes?: AccessMode[];
  /** The scenario's group besides its access mode (Scenario.family). */
  family?: ScenarioFamily;
  /** Block: its claim is a raw block device. */
  volumeMode?: "Block";
  /**
   * A node-failure scenario: the fault modes the run injects, one case (and
   * one record) per mode and class. Absent on the other scenarios, and on a
   * node-failure scenario planned without modes (one case per class then).
   */
  faultModes?: NodeFaultMode[];
  /** The scenario tests the cluster's control plane, not the storage: its results are reported apart. */
  subject?: "control-plane";
}

/**
 * The plan's scenarios, for the run's set-up: every scenario selected, and on
 * the node-failure scenarios the fault modes the run will inject (every mode
 * it writes records for, those the cluster cannot inject included: their
 * records say not applicable). Without this a mode that was never reached
 * would be missing from an interrupted run's report instead of not run.
 */
export function plannedScenarios(
  scenarios: readonly Pick<
    Scenario,
    "id" | "title" | "accessMode" | "accessModes" | "volumeMode" | "family" | "failover" | "subject"
  >[],
  faultModes: readonly NodeFaultMode[],
): PlannedScenario[] {
  return scenarios.map(({ id, title, accessMode, accessModes, volumeMode, family, failover, subject }) => ({
    id,
    title,
    accessMode,
    ...(accessModes ? { accessModes: [...accessModes] } : {}),
    ...(volumeMode ? { volumeMode } : {}),
    ...(family ? { family } : {}),
    ...(failover && faultModes.length > 0 ? { faultModes: [...faultModes] } : {}),
    ...(subject ? { subject } : {}),
  }));
}

/** One planned result: a scenario on a class, in one fault mode for the node-failure scenarios. */
export interface PlannedCase {
  scenario: PlannedScenario;
  storageClass: string;
  faultMode?: NodeFaultMode;
}

/** Every case of the plan, scenario by scenario, then mode by mode, then class by class. */
export function plannedCases(plan: Pick<RunPlan, "scenarios" | "storage">): PlannedCase[] {
  return plan.scenarios.flatMap((scenario) => {
    const modes: (NodeFaultMode | undefined)[] =
      scenario.faultModes && scenario.faultModes.length > 0 ? scenario.faultModes : [undefined];
    return modes.flatMap((faultMode) =>
      plan.storage.map((profile) => ({
        scenario,
        storageClass: profile.className,
        ...(faultMode ? { faultMode } : {}),
      })),
    );
  });
}

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

export const suite = { name: packageJson.name, version: packageJson.version };

export async function writePlan(reportDir: string, plan: RunPlan): Promise<void> {
  const dir = recordsDir(reportDir, plan.runId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`);
}

export async function readPlan(reportDir: string, runId: string): Promise<RunPlan | undefined> {
  try {
    return JSON.parse(await readFile(join(recordsDir(reportDir, runId), "plan.json"), "utf8")) as RunPlan;
  } catch {
    return undefined;
  }
}

/** The newest run under <reportDir>/records (run ids sort by time). */
export async function latestRunId(reportDir: string): Promise<string | undefined> {
  const runs = await readdir(join(reportDir, "records")).catch(() => [] as string[]);
  return runs.sort().at(-1);
}
