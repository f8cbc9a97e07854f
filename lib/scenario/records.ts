import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ScenarioRecord } from "./types.ts";

/**
 * Scenario records on disk: <reportDir>/records/<runId>/<scenario>@<class>.json,
 * one file per scenario run; a node-failure record (one per fault mode) is
 * <scenario>@<class>@<mode>.json, so that both modes of a scenario and class are kept.
 */

export function recordsDir(reportDir: string, runId: string): string {
  return join(reportDir, "records", runId);
}

/** The record's file name in its run's directory. */
export function recordFileName(
  record: Pick<ScenarioRecord, "scenario" | "storageClass" | "failover">,
): string {
  const mode = record.failover ? `@${record.failover.mode}` : "";
  return `${record.scenario}@${record.storageClass}${mode}.json`;
}

export async function writeRecord(reportDir: string, record: ScenarioRecord): Promise<string> {
  const dir = recordsDir(reportDir, record.runId);
  await mkdir(dir, { recursive: true });
  const path = join(dir, recordFileName(record));
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

export async function readRecords(reportDir: string, runId: string): Promise<ScenarioRecord[]> {
  const dir = recordsDir(reportDir, runId);
  // <scenario>@<class>[@<mode>].json; plan.json, end.json and profile.json beside them are not records.
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.includes("@") && f.endsWith(".json"))
    .sort();
  return Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as ScenarioRecord),
  );
}
