import { access } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { InfrastructureError, UsageError } from "../errors.ts";
import { say } from "../progress.ts";
import { allureResultRuns } from "./allure-runs.ts";
import { latestRunId } from "./plan.ts";
import { reportRun } from "./write.ts";

/**
 * Renders a stored run's reports again from its plan, records and profile
 * (the newest run by default), then the Allure HTML report from
 * allure-results with the allure package. `npm run report` and `amc report`.
 * Returns the files written.
 */
export async function renderStoredRun(options: {
  reportDir: string;
  runId?: string;
  allure: boolean;
}): Promise<string[]> {
  const { reportDir } = options;
  const runId = options.runId ?? (await latestRunId(reportDir));
  if (!runId) throw new UsageError(`no run recorded under ${join(reportDir, "records")}`);
  const written = await reportRun(reportDir, runId);
  if (!written) throw new UsageError(`run ${runId} has no plan under ${join(reportDir, "records", runId)}`);
  const files = [...written.files];
  const results = join(reportDir, "allure-results");
  const hasResults = await access(results).then(
    () => true,
    () => false,
  );
  if (!options.allure || !hasResults) return files;
  const output = join(reportDir, "allure-report");
  // Each run replaces allure-results, so an older run's Allure report cannot be rendered again.
  // Results written before scenario cases carried the amc-run label name no run: they render.
  const runs = await allureResultRuns(results);
  if (runs.size > 0 && !runs.has(runId)) {
    say(
      "report",
      `no Allure report for run ${runId}: ${results} holds run ${[...runs].join(", ")} (${output} is left as it was)`,
    );
    return files;
  }
  const config = fileURLToPath(new URL("./allurerc.mjs", import.meta.url));
  // allure is a dependency of this package; preferLocal finds it in a checkout and in an install.
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
    {
      preferLocal: true,
      localDir: fileURLToPath(new URL("../../", import.meta.url)),
      stdio: ["ignore", "inherit", "inherit"],
      env: { ALLURE_NO_ANALYTICS: "true" },
    },
  ).catch((error: Error) => {
    throw new InfrastructureError(`rendering the Allure report failed: ${error.message}`);
  });
  files.push(join(output, "index.html"));
  return files;
}
