import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { renderStoredRun } from "./render-stored.ts";

/**
 * `npm run report [-- --run ID] [--report-dir DIR]`: renders a stored run's
 * reports again (render-stored.ts). `amc report` does the same.
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
  const files = await renderStoredRun({
    reportDir: values["report-dir"] ?? process.env.AMC_REPORT_DIR ?? "reports",
    ...(values.run ? { runId: values.run } : {}),
    allure: !values["no-allure"],
  });
  for (const file of files) console.log(file);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  const usageError =
    error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  console.error(usageError ? `${(error as Error).message}\n${usage}` : (error as Error).message);
  process.exitCode = usageError ? 2 : 1;
}
