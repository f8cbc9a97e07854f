import { parseArgs } from "node:util";
import { detectionGaps, renderDetectionGaps } from "../lib/report/failover-gaps.ts";
import { latestRunId } from "../lib/report/plan.ts";
import { readRecords, recordsDir } from "../lib/scenario/records.ts";
import { readSettings } from "../lib/settings.ts";

/**
 * The detection gap of a stored run's node-failure timelines, phase by phase
 * (count, p50, p95, max) against the target, p95 < 250 ms. Reads the records
 * only: no cluster. Usage:
 *   node bench/failover-gaps.ts [--report-dir DIR] [--run ID]
 * (the report directory of AMC_REPORT_DIR, default ./reports; the newest run by default).
 * Exits 1 when a phase misses the target, 2 when there is no such run.
 */

const { values } = parseArgs({
  options: {
    "report-dir": { type: "string" },
    run: { type: "string" },
  },
  strict: true,
});
const reportDir = values["report-dir"] ?? readSettings().reportDir;
const runId = values.run ?? (await latestRunId(reportDir));
if (!runId) {
  console.error(`no run recorded under ${reportDir}/records`);
  process.exit(2);
}
const records = await readRecords(reportDir, runId);
if (records.length === 0) {
  console.error(`run ${runId} has no records under ${recordsDir(reportDir, runId)}`);
  process.exit(2);
}
const gaps = detectionGaps(records);
console.log(`run ${runId} (${recordsDir(reportDir, runId)})\n`);
console.log(renderDetectionGaps(gaps, records));
process.exitCode = gaps.every((g) => g.meetsTarget) ? 0 : 1;
