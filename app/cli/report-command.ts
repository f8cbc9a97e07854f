import { resolve } from "node:path";
import { say } from "../../lib/progress.ts";
import { mergeRuns, readStoredRun, writeMergedRun } from "../../lib/report/merge.ts";
import { renderStoredRun } from "../../lib/report/render-stored.ts";
import { readSettings } from "../../lib/settings.ts";
import { type Command, parseCommandArgs, usageError } from "./args.ts";

/** `amc report`: the reports of a stored run, rendered again from its records; or several runs merged. */

export const reportCommand: Command = {
  name: "report",
  usage:
    "usage: amc report [--run ID] [--report-dir DIR] [--no-allure] | amc report --merge DIR DIR... [--report-dir OUT]",
  help: `usage: amc report [--run ID] [--report-dir DIR] [--no-allure]
       amc report --merge DIR DIR... [--report-dir OUT]

Renders a stored run's reports again from its plan, records and vendor profile (under
<report dir>/records/<run id>/): certification.json (and its .sha256), certification.md,
certification.html, junit.xml, and the Allure HTML report from allure-results. Each run replaces
allure-results: for an older run the Allure report is not rendered, and amc says so.

With --merge, the newest run of each report directory given (runs of one cluster, split by
storage class or scenario family, e.g. several Jobs or Sonobuoy plugins at once) becomes one run,
written into OUT (not one of them) with its reports: one certification over all of their records,
its digest over the merged document. Runs of different clusters, suite versions or vendor
profiles, or two runs that decided the same case, are refused, each reason named.

  --run ID          the run (default: the newest under the report directory)
  --report-dir DIR  where the records are and the reports go (default ./reports, or AMC_REPORT_DIR)
  --no-allure       skip the Allure HTML report
  --merge           merge the newest runs of the report directories given

exit codes: 0 rendered, 2 no such run, or runs that do not merge, 3 rendering failed`,
};

const flags = {
  run: { type: "string" },
  "report-dir": { type: "string" },
  "no-allure": { type: "boolean" },
  merge: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function report(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(reportCommand, args, flags, true);
  if (values.help) {
    console.log(reportCommand.help);
    return 0;
  }
  const reportDir = values["report-dir"] ?? readSettings().reportDir;
  if (values.merge) return merge(positionals, reportDir, values.run);
  if (positionals.length > 0) throw usageError(reportCommand, `unexpected argument ${positionals[0]}`);
  const files = await renderStoredRun({
    reportDir,
    ...(values.run ? { runId: values.run } : {}),
    allure: !values["no-allure"],
  });
  for (const file of files) console.log(file);
  return 0;
}

async function merge(dirs: string[], out: string, run: string | undefined): Promise<number> {
  if (run)
    throw usageError(reportCommand, "--run goes without --merge: each directory's newest run is merged");
  if (dirs.length < 2) throw usageError(reportCommand, "--merge needs two report directories or more");
  if (dirs.some((dir) => resolve(dir) === resolve(out))) {
    throw usageError(
      reportCommand,
      `--report-dir ${out} is one of the runs to merge: give the merged run a directory of its own`,
    );
  }
  const runs = [];
  for (const dir of dirs) runs.push(await readStoredRun(dir)); // in order: the first bad one is named
  const merged = mergeRuns(runs);
  const written = await writeMergedRun(out, merged);
  say(
    "report",
    `merged ${dirs.length} runs (${runs.map((r) => r.runId).join(", ")}) into run ${merged.plan.runId}`,
  );
  for (const file of written.files) console.log(file);
  say("report", `certification.json SHA-256 ${written.digest}`);
  return 0;
}
