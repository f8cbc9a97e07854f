import { access } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { latestRunId } from "./plan.ts";
import { reportRun } from "./write.ts";

/**
 * `npm run report [-- --run ID] [--report-dir DIR]`: renders a stored run's
 * reports again from its plan and records (the newest run by default), then
 * the Allure HTML report from allure-results with the allure package.
 */
const usage = "usage: npm run report -- [--run ID] [--report-dir DIR] [--no-allure]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      run: { type: "string" },
      "report-dir": { type: "string" },
      "no-allure": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const reportDir = values["report-dir"] ?? process.env.AMC_REPORT_DIR ?? "reports";
  const runId = values.run ?? (await latestRunId(reportDir));
  if (!runId) {
    console.error(`no run recorded under ${join(reportDir, "records")}\n${usage}`);
    return 2;
  }
  const written = await reportRun(reportDir, runId);
  if (!written) {
    console.error(`run ${runId} has no plan under ${join(reportDir, "records", runId)}`);
    return 2;
  }
  for (const file of written.files) console.log(file);
  const results = join(reportDir, "allure-results");
  if (
    !values["no-allure"] &&
    (await access(results).then(
      () => true,
      () => false,
    ))
  ) {
    const output = join(reportDir, "allure-report");
    const config = fileURLToPath(new URL("../../allurerc.mjs", import.meta.url));
    await execa(
      "allure",
      [
        "generate",
        results,
        "--config",
        config,
        "--output",
        output,
        "--report-name",
        `access-mode-conformance ${runId}`,
      ],
      // The report must not call out to analytics when a vendor opens it.
      { preferLocal: true, stdio: "inherit", env: { ALLURE_NO_ANALYTICS: "true" } },
    );
    console.log(join(output, "index.html"));
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
}
