import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withClaims } from "../profile/claims.ts";
import { readRunProfile } from "../profile/run-profile.ts";
import { say } from "../progress.ts";
import { readRecords, recordsDir } from "../scenario/records.ts";
import type { ScenarioRecord } from "../scenario/types.ts";
import { buildCertification } from "./certification.ts";
import type { Certification, RunStatus } from "./document.ts";
import { renderHtml } from "./html.ts";
import { renderJUnit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { readPlan } from "./plan.ts";

/**
 * Writes every form of a run's report into the report directory:
 * certification.json and its SHA-256 (certification.json.sha256, in
 * sha256sum's format), certification.md, certification.html and junit.xml.
 */

/** The files writeReports writes, in the report directory. */
const reportFiles = [
  "certification.json",
  "certification.json.sha256",
  "certification.md",
  "certification.html",
  "junit.xml",
] as const;

export interface WrittenReports {
  certification: Certification;
  digest: string;
  files: string[];
  /** Nothing was written: the run's own end was recorded already, and these are its reports as they are. */
  kept?: true;
}

export async function writeReports(reportDir: string, certification: Certification): Promise<WrittenReports> {
  await mkdir(reportDir, { recursive: true });
  const json = `${JSON.stringify(certification, null, 2)}\n`;
  const digest = createHash("sha256").update(json).digest("hex");
  const files: [(typeof reportFiles)[number], string][] = [
    ["certification.json", json],
    ["certification.json.sha256", `${digest}  certification.json\n`],
    ["certification.md", renderMarkdown(certification, digest)],
    ["certification.html", renderHtml(certification, digest)],
    ["junit.xml", renderJUnit(certification)],
  ];
  for (const [name, content] of files) await writeFile(join(reportDir, name), content);
  return { certification, digest, files: files.map(([name]) => join(reportDir, name)) };
}

export type RunEnd = { finishedAt: string; status: RunStatus };

/**
 * Builds the reports of a stored run (its plan, records and the vendor
 * profile it checks, if any); undefined when the run left no plan. `end` is
 * recorded next to the records; without it the recorded end is used
 * (re-rendering), or, for a run that never recorded one, "interrupted" at its
 * last record.
 *
 * An end the run recorded itself (complete, or failed at its set-up) is
 * final: a call with another status (the guardian's "interrupted") writes
 * nothing, says so, and returns the reports on disk (`kept`), or undefined
 * when the report directory holds none of this run's. The SHA-256 a finished
 * run printed is what a vendor cites; it must go on matching the file.
 */
export async function reportRun(
  reportDir: string,
  runId: string,
  end?: RunEnd,
): Promise<WrittenReports | undefined> {
  const plan = await readPlan(reportDir, runId);
  if (!plan) return undefined;
  const endFile = join(recordsDir(reportDir, runId), "end.json");
  const recorded = await readEnd(endFile);
  if (end && recorded && isFinal(recorded) && recorded.status !== end.status) {
    const kept = await reportsOnDisk(reportDir, runId);
    say(
      "report",
      `run ${runId} ended ${recorded.status} at ${recorded.finishedAt}: its reports are left as they are, not rewritten as ${end.status}${kept ? ` (certification.json SHA-256 ${kept.digest})` : ` (${reportDir} holds none of this run's; amc report --run ${runId} renders them)`}`,
    );
    return kept;
  }
  const records = await readRecords(reportDir, runId);
  if (end) await writeFile(endFile, `${JSON.stringify(end)}\n`);
  // The end given, else the recorded one, else "interrupted" at the last record.
  const finalEnd: RunEnd = end ??
    recorded ?? {
      finishedAt: lastRecordAt(records) ?? plan.startedAt,
      status: "interrupted",
    };
  const profile = await readRunProfile(reportDir, runId);
  const certification = buildCertification(plan, records, finalEnd);
  return writeReports(reportDir, profile ? withClaims(certification, profile) : certification);
}

/** An end the run recorded itself: complete, or failed at its set-up. Only "interrupted" may be replaced. */
function isFinal(end: RunEnd): boolean {
  return end.status !== "interrupted";
}

/** The end recorded next to a run's records, if any. */
export function recordedEnd(reportDir: string, runId: string): Promise<RunEnd | undefined> {
  return readEnd(join(recordsDir(reportDir, runId), "end.json"));
}

function readEnd(file: string): Promise<RunEnd | undefined> {
  return readFile(file, "utf8").then(
    (text) => JSON.parse(text) as RunEnd,
    () => undefined,
  );
}

/** The reports in the report directory, as they are, when they are this run's. */
async function reportsOnDisk(reportDir: string, runId: string): Promise<WrittenReports | undefined> {
  const json = await readFile(join(reportDir, "certification.json"), "utf8").catch(() => undefined);
  if (json === undefined) return undefined;
  let certification: Certification;
  try {
    certification = JSON.parse(json) as Certification;
  } catch {
    return undefined;
  }
  if (certification.run?.id !== runId) return undefined;
  const digest = createHash("sha256").update(json).digest("hex");
  const files = reportFiles.map((name) => join(reportDir, name));
  return { certification, digest, files, kept: true };
}

function lastRecordAt(records: readonly ScenarioRecord[]): string | undefined {
  return records
    .map((r) => r.timings.finishedAt)
    .sort()
    .at(-1);
}
