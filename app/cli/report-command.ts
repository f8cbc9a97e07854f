import { renderStoredRun } from "../../lib/report/render-stored.ts";
import { readSettings } from "../../lib/settings.ts";
import { type Command, parseCommandArgs } from "./args.ts";

/** `amc report`: the reports of a stored run, rendered again from its records. */

export const reportCommand: Command = {
  name: "report",
  usage: "usage: amc report [--run ID] [--report-dir DIR] [--no-allure]",
  help: `usage: amc report [--run ID] [--report-dir DIR] [--no-allure]

Renders a stored run's reports again from its plan, records and vendor profile (under
<report dir>/records/<run id>/): certification.json (and its .sha256), certification.md,
certification.html, junit.xml, and the Allure HTML report from allure-results. Each run replaces
allure-results: for an older run the Allure report is not rendered, and amc says so.

  --run ID          the run (default: the newest under the report directory)
  --report-dir DIR  where the records are and the reports go (default ./reports, or AMC_REPORT_DIR)
  --no-allure       skip the Allure HTML report

exit codes: 0 rendered, 2 no such run, 3 rendering failed`,
};

const flags = {
  run: { type: "string" },
  "report-dir": { type: "string" },
  "no-allure": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function report(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(reportCommand, args, flags);
  if (values.help) {
    console.log(reportCommand.help);
    return 0;
  }
  const files = await renderStoredRun({
    reportDir: values["report-dir"] ?? readSettings().reportDir,
    ...(values.run ? { runId: values.run } : {}),
    allure: !values["no-allure"],
  });
  for (const file of files) console.log(file);
  return 0;
}
