import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { recordsDir } from "../scenario/records.ts";
import { renderNotStartedJUnit } from "./junit.ts";

/**
 * A run that ends before its plan exists (lib/report/plan.ts) has nothing to
 * report: no scenario was planned, so neither the run nor its guardian writes
 * the certification. CI still needs a junit.xml that fails, with the reason,
 * rather than none (or the previous run's). Synchronous: a signal handler
 * calls it on the way out. Call it only while holding the report
 * directory's lock (lib/report-dir.ts).
 */
export function writeNotStartedReport(
  reportDir: string,
  runId: string | undefined,
  reason: string,
  at = new Date(),
): string | undefined {
  // A run with a plan gets its real reports, from its own end or from its guardian.
  if (runId && existsSync(join(recordsDir(reportDir, runId), "plan.json"))) return undefined;
  mkdirSync(reportDir, { recursive: true });
  const file = join(reportDir, "junit.xml");
  writeFileSync(file, renderNotStartedJUnit(reason, at));
  return file;
}
