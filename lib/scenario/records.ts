import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ScenarioRecord } from "./types.ts";

/** Scenario records on disk: <reportDir>/records/<runId>/<scenario>@<class>.json, one file per scenario run. */

export function recordsDir(reportDir: string, runId: string): string {
  return join(reportDir, "records", runId);
}

export async function writeRecord(reportDir: string, record: ScenarioRecord): Promise<string> {
  const dir = recordsDir(reportDir, record.runId);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${record.scenario}@${record.storageClass}.json`);
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

export async function readRecords(reportDir: string, runId: string): Promise<ScenarioRecord[]> {
  const dir = recordsDir(reportDir, runId);
  // <scenario>@<class>.json; plan.json beside them is not a record.
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.includes("@") && f.endsWith(".json"))
    .sort();
  return Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as ScenarioRecord),
  );
}
