import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { components } from "../clusters/binaries/components.ts";
import { resolveComponent } from "../clusters/binaries/resolve.ts";
import { up } from "../clusters/kind/provider.ts";
import { localStorageClasses } from "../clusters/local/storage.ts";
import { connect } from "../lib/kube/client.ts";
import { formatDuration, heartbeat, say, timed } from "../lib/progress.ts";
import { latestRunId } from "../lib/report/plan.ts";
import { readRecords } from "../lib/scenario/records.ts";
import { scenarios } from "../lib/scenario/scenarios.ts";
import { readSettings } from "../lib/settings.ts";
import { parseUpstreamJUnit, sharedScenarios, upstreamFocus, upstreamSkip } from "./upstream/cases.ts";
import { provideUpstreamImages } from "./upstream/images.ts";
import { renderSummary, type SuiteRun, type UpstreamRun } from "./upstream/summary.ts";
import { classFacts, renderTestDriver } from "./upstream/testdriver.ts";

/**
 * Upstream's storage e2e against the suite on one kind cluster, on the checks
 * both make (issue 13). Runs, one after the other: upstream's e2e.test of the
 * pinned release on the external drivers' read-write-once-pod and
 * multiVolume cases, serial and under `ginkgo -p`; then the suite on the same
 * classes, with --parallel 1 and at its default concurrency; prints the
 * wall times, ratios, each case's time and what each side decided, as Markdown.
 *
 *   npm run bench:vs-upstream -- [--cluster NAME] [--class NAME ...] [--procs N]
 *     [--upstream-cases shared|all] [--full] [--out DIR]
 *
 * --cluster: the kind cluster (created, or reused when it exists; default amc-bench).
 * --class: the storage classes (default amc-block, amc-local, amc-shared).
 * --procs: ginkgo's processes for upstream's parallel run (default 4).
 * --upstream-cases: the shared checks' upstream tests only (default), or every
 *   read-write-once-pod and multiVolume case that can run on these drivers.
 * --full: also run the suite's whole steady-state matrix (default concurrency).
 * --out: where the testdriver files, reports and logs go (default /tmp/amc-vs-upstream-<time>).
 */

const scope = "vs-upstream";
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run bench:vs-upstream -- [--cluster NAME] [--class NAME ...] [--procs N] [--upstream-cases shared|all] [--full] [--out DIR]`,
  );
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        cluster: { type: "string", default: "amc-bench" },
        class: { type: "string", multiple: true },
        procs: { type: "string", default: "4" },
        "upstream-cases": { type: "string", default: "shared" },
        full: { type: "boolean", default: false },
        out: { type: "string" },
      },
      strict: true,
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const clusterName = values.cluster;
const classes = values.class?.flatMap((c) => c.split(",")).filter(Boolean) ?? [
  ...localStorageClasses.map((c) => c.className),
];
const procs = Number(values.procs);
if (!Number.isInteger(procs) || procs < 2)
  usage(`--procs ${values.procs}: give a whole number of at least 2`);
const upstreamCases = values["upstream-cases"];
if (upstreamCases !== "shared" && upstreamCases !== "all") {
  usage(`--upstream-cases ${upstreamCases}: give shared or all`);
}
const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").toLowerCase();
const out = resolve(values.out ?? `/tmp/amc-vs-upstream-${stamp}`);
await mkdir(out, { recursive: true });

/**
 * Runs a command with its output in `<out>/<label>.log` (each line stamped
 * with the seconds since the start) and a status line every 15 s (ginkgo's
 * progress dots counted: • a spec done, S skipped); returns its wall time
 * and exit code.
 */
async function runLogged(
  label: string,
  command: string,
  args: readonly string[],
  cwd = repoRoot,
  env: Record<string, string> = {},
) {
  const logPath = join(out, `${label}.log`);
  const log = createWriteStream(logPath);
  log.write(`$ ${command} ${args.join(" ")}\n`);
  let last = "";
  let specsDone = 0;
  const stop = heartbeat(
    scope,
    (elapsed) =>
      `${label}: ${elapsed}${specsDone > 0 ? `, ${specsDone} upstream specs done` : ""}${last ? `; last line: ${last.slice(0, 120)}` : ""}`,
  );
  const started = Date.now();
  say(scope, `${label} ... (output in ${logPath})`);
  try {
    const child = execa(command, [...args], { all: true, reject: false, cwd, env, stdin: "ignore" });
    let atLineStart = true;
    child.all?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      // Each line stamped with the seconds since the start: where the time went.
      const stamp = `[+${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] `;
      log.write((atLineStart ? stamp : "") + text.replace(/\n(?=.)/g, `\n${stamp}`));
      atLineStart = text.endsWith("\n");
      specsDone += text.split("•").length - 1;
      const lines = text
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !/^[S•]+$/.test(line));
      if (lines.length > 0) last = lines.at(-1) ?? last;
    });
    const result = await child;
    const wallMs = Date.now() - started;
    say(scope, `${label}: exit ${result.exitCode} after ${formatDuration(wallMs)}`);
    return { wallMs, exitCode: result.exitCode ?? -1 };
  } finally {
    stop();
    await new Promise((done) => log.end(done));
  }
}

// The cluster, the images upstream's pods run, the testdriver files and the upstream binaries.
const settings = readSettings();
const handle = await timed(scope, `kind cluster ${clusterName}`, () =>
  up({
    name: clusterName,
    ephemeral: false,
    images: { ...settings.kindImages, ...(settings.image ? { workload: settings.image } : {}) },
  }),
);
if (!handle.workloadImage) throw new Error(`kind cluster ${clusterName} reports no workload image`);
await provideUpstreamImages(handle.workloadImage, clusterName);
const kube = connect(handle.kubeconfigPath);
const facts = await Promise.all(classes.map((name) => classFacts(kube, name)));
const driverFiles: string[] = [];
await mkdir(join(out, "drivers"), { recursive: true });
for (const f of facts) {
  const path = join(out, "drivers", `${f.className}.yaml`);
  await writeFile(path, renderTestDriver(f));
  driverFiles.push(path);
}
const e2eTest = join((await resolveComponent(components["kubernetes-e2e"])).dir, "e2e.test");
const ginkgo = join((await resolveComponent(components.ginkgo)).dir, "ginkgo");

const focus = upstreamFocus(upstreamCases);
const e2eArgs = (reportDir: string) => [
  `--kubeconfig=${handle.kubeconfigPath}`,
  "--provider=skeleton",
  ...driverFiles.map((f) => `--storage.testdriver=${f}`),
  `--report-dir=${reportDir}`,
  `--repo-root=${out}`,
];

async function upstreamRun(label: string, parallel: boolean): Promise<UpstreamRun> {
  const reportDir = join(out, label);
  await mkdir(reportDir, { recursive: true });
  // Run in the report directory: ginkgo and e2e.test may leave files in their working directory.
  // Their temporary files too (e2e.test leaves a test-kuberc* directory per spec in TMPDIR):
  // in a directory of the run's own, removed after it.
  const scratch = join(reportDir, "tmp");
  await mkdir(scratch, { recursive: true });
  const env = { TMPDIR: scratch };
  const { wallMs, exitCode } = parallel
    ? await runLogged(
        label,
        ginkgo,
        [
          "-p",
          `--procs=${procs}`,
          `--focus=${focus}`,
          `--skip=${upstreamSkip}`,
          "--no-color",
          "--timeout=2h",
          e2eTest,
          "--",
          ...e2eArgs(reportDir),
        ],
        reportDir,
        env,
      )
    : await runLogged(
        label,
        e2eTest,
        [
          `--ginkgo.focus=${focus}`,
          `--ginkgo.skip=${upstreamSkip}`,
          "--ginkgo.no-color",
          "--ginkgo.timeout=2h",
          ...e2eArgs(reportDir),
        ],
        reportDir,
        env,
      );
  await rm(scratch, { recursive: true, force: true });
  const xml = await readFile(join(reportDir, "junit_01.xml"), "utf8").catch(() => "");
  if (!xml) say(scope, `${label}: no JUnit report in ${reportDir}`);
  return {
    label,
    procs: parallel ? procs : 1,
    wallMs,
    exitCode,
    cases: parseUpstreamJUnit(xml, new RegExp(focus)),
  };
}

async function suiteRun(label: string, scenarioIds: readonly string[], parallel?: number): Promise<SuiteRun> {
  const reportDir = join(out, label);
  const { wallMs, exitCode } = await runLogged(label, process.execPath, [
    join(repoRoot, "bin", "amc.js"),
    "run",
    "--cluster",
    "kind",
    "--cluster-name",
    clusterName,
    "--storage-class",
    classes.join(","),
    "--scenario",
    scenarioIds.join(","),
    "--report-dir",
    reportDir,
    ...(parallel === undefined ? [] : ["--parallel", String(parallel)]),
  ]);
  const runId = await latestRunId(reportDir);
  return {
    label,
    ...(parallel === undefined ? {} : { parallel }),
    wallMs,
    exitCode,
    ...(runId ? { runId } : {}),
    records: runId ? await readRecords(reportDir, runId) : [],
  };
}

const upstreamSerial = await upstreamRun("upstream-serial", false);
const upstreamBest = await upstreamRun(`upstream-p${procs}`, true);
const suiteSerial = await suiteRun("suite-serial", sharedScenarios, 1);
const suiteBest = await suiteRun("suite-default", sharedScenarios);
const suiteFull = values.full
  ? await suiteRun(
      "suite-full-matrix",
      scenarios.map((s) => s.id),
    )
  : undefined;

const summary = renderSummary({
  cluster: { name: clusterName, kubernetesVersion: handle.kubernetesVersion, nodes: handle.nodes.length },
  classes: facts,
  upstream: { serial: upstreamSerial, best: upstreamBest },
  suite: { serial: suiteSerial, best: suiteBest, ...(suiteFull ? { full: suiteFull } : {}) },
  upstreamCases,
  measuredAt: new Date().toISOString().slice(0, 10),
});
await writeFile(join(out, "summary.md"), `${summary}\n`);
await writeFile(
  join(out, "result.json"),
  `${JSON.stringify({ upstreamSerial, upstreamBest, suiteSerial: { ...suiteSerial, records: undefined }, suiteBest: { ...suiteBest, records: undefined } }, null, 2)}\n`,
);
console.log(summary);
say(scope, `summary and logs in ${out}`);
await handle.release();
