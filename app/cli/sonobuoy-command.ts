import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { errorText } from "../../lib/errors.ts";
import { say } from "../../lib/progress.ts";
import type { Certification } from "../../lib/report/document.ts";
import { renderSonobuoyResults, SONOBUOY_ROOT } from "../../lib/report/sonobuoy.ts";
import { type Command, usageError } from "./args.ts";
import { certify } from "./certify-command.ts";
import { exitCodesHelp } from "./exit-codes.ts";
import { run } from "./run-command.ts";
import { SonobuoyProgress } from "./sonobuoy-progress.ts";

/**
 * `amc sonobuoy`: the entry point of the Sonobuoy plugin
 * (manifests/sonobuoy/amc.yaml), Sonobuoy v0.57's contract around `amc run`
 * (or `amc certify` when a profile or test-driver file is given):
 *
 * - the reports go to $SONOBUOY_RESULTS_DIR/amc, with sonobuoy_results.yaml
 *   (lib/report/sonobuoy.ts: an item per scenario and class) beside the
 *   certification files, so that `sonobuoy results` reads the verdicts and
 *   the retrieved tarball holds the certification;
 * - progress goes to the worker's port after every case (sonobuoy-progress.ts);
 * - the `done` file names that directory (the worker tars it) once the
 *   reports are written, and also when the run failed before any report:
 *   then sonobuoy_results.yaml is one failed item saying why, not a wait
 *   until Sonobuoy's timeout.
 *
 * The exit code is 0 once the results are handed over: the verdicts are in
 * them, and a failing container would race Sonobuoy's own error for the pod.
 */

export const sonobuoyCommand: Command = {
  name: "sonobuoy",
  usage: "usage: amc sonobuoy [amc run options | amc certify options]",
  help: `usage: amc sonobuoy [amc run options | amc certify options]

The Sonobuoy plugin's entry point (manifests/sonobuoy/amc.yaml): runs \`amc run\` with the options given,
or \`amc certify\` when --profile or --testdriver is among them, writes the reports to
$SONOBUOY_RESULTS_DIR/amc (default /tmp/sonobuoy/results/amc) with sonobuoy_results.yaml (Sonobuoy's
"manual" format: one item per scenario and class; conforms and findings pass, deviations fail, inconclusive
is unknown, not applicable is skipped), reports progress to $SONOBUOY_PROGRESS_PORT after every case, and
writes the done file. --report-dir is not taken: the directory is Sonobuoy's.

Exit code 0 once the results are handed to Sonobuoy (the verdicts are in them); otherwise as amc run:

${exitCodesHelp}

example (the plugin's container):
  amc sonobuoy --cluster in-cluster --scenario rwo-same-node,rwo-cross-node`,
};

export const SONOBUOY_RESULTS_FILE = "sonobuoy_results.yaml";

export async function sonobuoy(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(sonobuoyCommand.help);
    return 0;
  }
  const resultsDir = process.env.SONOBUOY_RESULTS_DIR || "/tmp/sonobuoy/results";
  const reportDir = join(resultsDir, "amc");
  const port = process.env.SONOBUOY_PROGRESS_PORT;
  const progress = port ? new SonobuoyProgress(`http://localhost:${port}/progress`) : undefined;
  let failure: unknown;
  try {
    if (args.some((a) => a === "--report-dir" || a.startsWith("--report-dir="))) {
      throw usageError(sonobuoyCommand, `--report-dir is Sonobuoy's: the reports go to ${reportDir}`);
    }
    const certifying = args.some((a) => /^--(profile|testdriver)(=|$)/.test(a));
    const main = certifying ? certify : run;
    await main([...args, "--report-dir", reportDir], { reporters: progress ? [progress] : [] });
  } catch (error) {
    failure = error;
  }
  await progress?.flush();
  await mkdir(reportDir, { recursive: true });
  const results = failure ? failedResults(failure) : await resultsOf(reportDir);
  await writeFile(join(reportDir, SONOBUOY_RESULTS_FILE), results);
  // Last: the worker sends the directory as soon as it sees this file.
  await writeFile(join(resultsDir, "done"), reportDir);
  say("sonobuoy", `results handed to Sonobuoy: ${reportDir}`);
  if (failure) throw failure;
  return 0;
}

async function resultsOf(reportDir: string): Promise<string> {
  const certification = JSON.parse(
    await readFile(join(reportDir, "certification.json"), "utf8"),
  ) as Certification;
  const digest = (await readFile(join(reportDir, "certification.json.sha256"), "utf8")).split(/\s/)[0];
  return renderSonobuoyResults(certification, digest);
}

/** The run failed before its reports: one failed item, saying why, for `sonobuoy results`. */
export function failedResults(error: unknown): string {
  return stringify(
    { name: SONOBUOY_ROOT, status: "failed", details: { error: errorText(error) } },
    { version: "1.1", lineWidth: 0 },
  );
}
