import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterInfo, ClusterNode } from "../cluster/contract.ts";
import { recordsDir } from "../scenario/records.ts";
import type { AccessMode, ScenarioId, StorageProfile } from "../scenario/types.ts";

/**
 * What a run set out to do, written before its first scenario next to its
 * records (<reportDir>/records/<run id>/plan.json). Reports are the plan plus
 * the records: a planned scenario without a record is reported as not run.
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
  scenarios: { id: ScenarioId; title: string; accessMode: AccessMode }[];
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
