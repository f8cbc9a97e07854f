import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withClaims } from "../profile/claims.ts";
import { readRunProfile } from "../profile/run-profile.ts";
import { readRecords, recordsDir } from "../scenario/records.ts";
import type { ScenarioRecord } from "../scenario/types.ts";
import { buildCertification, type Certification, type RunStatus } from "./certification.ts";
import { renderHtml } from "./html.ts";
import { renderJUnit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { readPlan } from "./plan.ts";

/**
 * Writes every form of a run's report into the report directory:
 * certification.json and its SHA-256 (certification.json.sha256, in
 * sha256sum's format), certification.md, certification.html and junit.xml.
 */

export interface WrittenReports {
  certification: Certification;
  digest: string;
  files: string[];
}

export async function writeReports(reportDir: string, certification: Certification): Promise<WrittenReports> {
  await mkdir(reportDir, { recursive: true });
  const json = `${JSON.stringify(certification, null, 2)}\n`;
  const digest = createHash("sha256").update(json).digest("hex");
  const files: [string, string][] = [
    ["certification.json", json],
    ["certification.json.sha256", `${digest}  certification.json\n`],
    ["certification.md", renderMarkdown(certification, digest)],
    ["certification.html", renderHtml(certification, digest)],
    ["junit.xml", renderJUnit(certification)],
  ];
  for (const [name, content] of files) await writeFile(join(reportDir, name), content);
  return { certification, digest, files: files.map(([name]) => join(reportDir, name)) };
}

type RunEnd = { finishedAt: string; status: RunStatus };

/**
 * Builds the reports of a stored run (its plan, records and the vendor
 * profile it checks, if any); undefined when the run left no plan. `end` is
 * recorded next to the records; without it the recorded end is used
 * (re-rendering), or, for a run that never recorded one, "interrupted" at its
 * last record.
 */
export async function reportRun(
  reportDir: string,
  runId: string,
  end?: RunEnd,
): Promise<WrittenReports | undefined> {
  const plan = await readPlan(reportDir, runId);
  if (!plan) return undefined;
  const records = await readRecords(reportDir, runId);
  const endFile = join(recordsDir(reportDir, runId), "end.json");
  if (end) await writeFile(endFile, `${JSON.stringify(end)}\n`);
  // The end given, else the recorded one (read only then), else "interrupted" at the last record.
  const finalEnd: RunEnd = end ??
    (await readEnd(endFile)) ?? {
      finishedAt: lastRecordAt(records) ?? plan.startedAt,
      status: "interrupted",
    };
  const profile = await readRunProfile(reportDir, runId);
  const certification = buildCertification(plan, records, finalEnd);
  return writeReports(reportDir, profile ? withClaims(certification, profile) : certification);
}

function readEnd(file: string): Promise<RunEnd | undefined> {
  return readFile(file, "utf8").then(
    (text) => JSON.parse(text) as RunEnd,
    () => undefined,
  );
}

function lastRecordAt(records: readonly ScenarioRecord[]): string | undefined {
  return records
    .map((r) => r.timings.finishedAt)
    .sort()
    .at(-1);
}
