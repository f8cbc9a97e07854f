import { say } from "../../lib/progress.ts";
import { reportDirLabel, reportDirProblem } from "../../lib/report-dir.ts";
import { readSettings } from "../../lib/settings.ts";
import { type Command, parseCommandArgs, usageError } from "./args.ts";
import { exitCodesHelp, judgeRun, type RunJudgement } from "./exit-codes.ts";
import { runEnvironment, runFlags, runFlagsHelp } from "./run-options.ts";
import { runSuites, type SuitesExtras } from "./run-suites.ts";

/** `amc run`: the scenarios on every storage class (or the ones named), then the reports. */

export const runCommand: Command = {
  name: "run",
  usage: "usage: amc run [options]",
  help: `usage: amc run [options]

Runs the access-mode scenarios on the cluster's storage classes, each in a namespace of its own, and
writes the reports (certification.json/.md/.html, junit.xml, allure-results) to the report directory.

  --storage-class NAME             only this class (repeatable, or comma-separated); default: every class

${runFlagsHelp}

${exitCodesHelp}

examples:
  amc run                                   every scenario on a local cluster of its own
  amc run --cluster-name amc --scenario rwo-cross-node,rwo-handoff
  amc run --kubeconfig ~/.kube/config --context prod --storage-class fast-ssd --timeout 2x`,
};

export const runCommandFlags = { ...runFlags } as const;

/**
 * The report directory, checked before anything else (a file, a directory amc cannot write to, a
 * dangling symbolic link, /proc): a usage error at once, not an infrastructure error after the
 * cluster's preflight. `env` is runEnvironment's: AMC_REPORT_DIR there came from --report-dir.
 */
export function checkReportDirFirst(command: Command, env: Record<string, string>): void {
  const dir = readSettings({ ...process.env, ...env }).reportDir;
  const problem = reportDirProblem(dir);
  if (problem) throw usageError(command, `${reportDirLabel(process.env, env.AMC_REPORT_DIR)}: ${problem}`);
}

/** The last lines amc prints: the exit code and why. */
export function sayJudgement(judgement: RunJudgement): void {
  say("result", `exit code ${judgement.code}: ${judgement.reasons.join("; ")}`);
}

export async function run(args: string[], extras: SuitesExtras = {}): Promise<number> {
  const { values } = parseCommandArgs(runCommand, args, runCommandFlags);
  if (values.help) {
    console.log(runCommand.help);
    return 0;
  }
  const env = runEnvironment(runCommand, values);
  checkReportDirFirst(runCommand, env);
  const result = await runSuites(env, extras);
  const judgement = judgeRun(result.certification, "run", result.failedOutsideVerdicts);
  sayJudgement(judgement);
  return judgement.code;
}
