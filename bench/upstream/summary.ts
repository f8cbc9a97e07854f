import { formatDuration } from "../../lib/progress.ts";
import type { ScenarioRecord, Verdict } from "../../lib/scenario/types.ts";
import { type SharedCheck, sharedCheckOf, sharedChecks, type UpstreamCase } from "./cases.ts";
import type { ClassFacts } from "./testdriver.ts";

/**
 * The benchmark's Markdown: wall times and ratios of the four runs, each
 * case's time, and what each side decided per class. A pure function of the
 * runs, so that it can be pasted into the docs as printed.
 */

export interface UpstreamRun {
  label: string;
  procs: number;
  wallMs: number;
  exitCode: number;
  cases: UpstreamCase[];
}

export interface SuiteRun {
  label: string;
  /** --parallel, or undefined for the default. */
  parallel?: number;
  wallMs: number;
  exitCode: number;
  /** Undefined when the run recorded nothing. */
  runId?: string;
  records: ScenarioRecord[];
}

export interface BenchResult {
  cluster: { name: string; kubernetesVersion: string; nodes: number };
  classes: ClassFacts[];
  upstream: { serial: UpstreamRun; best: UpstreamRun };
  suite: { serial: SuiteRun; best: SuiteRun; full?: SuiteRun };
  upstreamCases: "shared" | "all";
  measuredAt: string;
}

const decidedVerdicts: ReadonlySet<Verdict> = new Set(["conforms", "deviates", "finding"]);
const isDecided = (c: UpstreamCase) => c.state !== "skipped";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const recordMs = (r: ScenarioRecord) => Date.parse(r.timings.finishedAt) - Date.parse(r.timings.startedAt);

/** From the first case's start to the last one's end: the run without its start-up and reports. */
export function casesSpanMs(records: readonly ScenarioRecord[]): number | undefined {
  if (records.length === 0) return undefined;
  const starts = records.map((r) => Date.parse(r.timings.startedAt));
  const ends = records.map((r) => Date.parse(r.timings.finishedAt));
  return Math.max(...ends) - Math.min(...starts);
}

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}×` : "-");

function upstreamCell(c: UpstreamCase | undefined): string {
  if (!c) return "—";
  return c.state === "skipped" ? "skipped" : `${c.state} ${c.seconds.toFixed(1)} s`;
}

function suiteCell(r: ScenarioRecord | undefined): string {
  if (!r) return "—";
  return `${r.verdict} ${seconds(recordMs(r))}`;
}

const findUpstream = (run: UpstreamRun, driver: string, check: SharedCheck) =>
  run.cases.find(
    (c) => c.driver === driver && c.suite === check.upstream.suite && c.test === check.upstream.test,
  );

const findRecord = (run: SuiteRun, className: string, scenario: string) =>
  run.records.find((r) => r.storageClass === className && r.scenario === scenario);

export function renderSummary(result: BenchResult): string {
  const { upstream, suite, classes } = result;
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const sharedIds = new Set(sharedChecks.flatMap((c) => c.scenarios));
  const sharedRecords = (run: SuiteRun) => run.records.filter((r) => sharedIds.has(r.scenario));
  const upstreamDecided = (run: UpstreamRun) => run.cases.filter(isDecided).length;
  const suiteDecided = (run: SuiteRun) => run.records.filter((r) => decidedVerdicts.has(r.verdict)).length;

  push(
    `### Upstream e2e.test against the suite (${result.measuredAt})`,
    "",
    `kind cluster \`${result.cluster.name}\`, Kubernetes ${result.cluster.kubernetesVersion}, ${result.cluster.nodes} worker nodes; classes ${classes.map((c) => `\`${c.className}\``).join(", ")}; upstream cases: ${result.upstreamCases === "shared" ? "the shared checks" : "every read-write-once-pod and multiVolume case that can run"}; the suite: ${sharedIds.size} scenarios (${[...sharedIds].join(", ")}).`,
    "",
    "| run | concurrency | wall time | cases span | cases run | decided | exit |",
    "|---|---|---:|---:|---:|---:|---:|",
  );
  for (const run of [upstream.serial, upstream.best]) {
    const ran = run.cases.length;
    const sum = run.cases.reduce((s, c) => s + c.seconds, 0);
    push(
      `| ${run.label} | ${run.procs === 1 ? "serial" : `ginkgo -p --procs=${run.procs}`} | ${formatDuration(run.wallMs)} | ${run.procs === 1 ? `${sum.toFixed(1)} s (sum)` : "-"} | ${ran} | ${upstreamDecided(run)} | ${run.exitCode} |`,
    );
  }
  for (const run of [suite.serial, suite.best, ...(suite.full ? [suite.full] : [])]) {
    const span = casesSpanMs(run.records);
    push(
      `| ${run.label} | ${run.parallel === undefined ? "default" : `--parallel ${run.parallel}`} | ${formatDuration(run.wallMs)} | ${span === undefined ? "-" : formatDuration(span)} | ${run.records.length} | ${suiteDecided(run)} | ${run.exitCode} |`,
    );
  }
  const serialSpan = casesSpanMs(suite.serial.records) ?? 0;
  const bestSpan = casesSpanMs(suite.best.records) ?? 0;
  push(
    "",
    `- upstream serial / suite serial: **${ratio(upstream.serial.wallMs, suite.serial.wallMs)}** (wall times; ${ratio(upstream.serial.wallMs, serialSpan)} against the suite's cases span)`,
    `- upstream best / suite best: **${ratio(upstream.best.wallMs, suite.best.wallMs)}** (wall times; ${ratio(upstream.best.wallMs, bestSpan)} against the suite's cases span)`,
    `- decided on the shared checks: upstream ${upstream.serial.cases.filter((c) => sharedCheckOf(c) && isDecided(c)).length} (serial) / ${upstream.best.cases.filter((c) => sharedCheckOf(c) && isDecided(c)).length} (parallel), the suite ${sharedRecords(suite.serial).filter((r) => decidedVerdicts.has(r.verdict)).length} (serial) / ${sharedRecords(suite.best).filter((r) => decidedVerdicts.has(r.verdict)).length} (default)`,
    ...(result.upstreamCases === "all"
      ? [
          "",
          `Upstream also ran the cases only it has: its wall times cover ${upstream.serial.cases.length} cases against the suite's ${suite.serial.records.length}, so these ratios are not on the same checks (\`--upstream-cases shared\` gives those).`,
        ]
      : []),
    "",
    "Wall time: the process, start to exit (the suite's includes reusing the cluster and writing its reports; upstream's its BeforeSuite). Cases span: the suite's first case start to its last case end.",
    "",
    "#### Per case",
    "",
    `| class | check | upstream case | ${upstream.serial.label} | ${upstream.best.label} | scenario | ${suite.serial.label} | ${suite.best.label} |`,
    "|---|---|---|---|---|---|---|---|",
  );
  for (const facts of classes) {
    for (const check of sharedChecks) {
      check.scenarios.forEach((scenario, i) => {
        const first = i === 0;
        push(
          `| ${first ? facts.className : ""} | ${first ? check.title : ""} | ${first ? `${check.upstream.suite}: ${check.upstream.test}` : ""} | ${first ? upstreamCell(findUpstream(upstream.serial, facts.provisioner, check)) : ""} | ${first ? upstreamCell(findUpstream(upstream.best, facts.provisioner, check)) : ""} | ${scenario} | ${suiteCell(findRecord(suite.serial, facts.className, scenario))} | ${suiteCell(findRecord(suite.best, facts.className, scenario))} |`,
        );
      });
    }
    const others = upstream.serial.cases.filter((c) => c.driver === facts.provisioner && !sharedCheckOf(c));
    for (const c of others) {
      const parallel = upstream.best.cases.find((p) => p.name === c.name);
      push(
        `| | (upstream only) | ${c.suite}: ${c.test} | ${upstreamCell(c)} | ${upstreamCell(parallel)} | — | — | — |`,
      );
    }
  }

  push(
    "",
    "#### What each decided",
    "",
    "Upstream: passed or failed is decided, skipped is not. The suite: conforms, deviates and finding are decided; not-applicable and inconclusive are not.",
    "",
    "| class | upstream passed | upstream failed | upstream skipped | suite decided | suite not decided |",
    "|---|---|---|---|---|---|",
  );
  const short = (c: UpstreamCase) => sharedCheckOf(c)?.title ?? `${c.suite}: ${c.test}`;
  const suiteRecords = suite.full ?? suite.best;
  for (const facts of classes) {
    const cases = upstream.serial.cases.filter((c) => c.driver === facts.provisioner);
    const names = (state: UpstreamCase["state"]) =>
      cases
        .filter((c) => c.state === state)
        .map((c) => (state === "skipped" && c.message ? `${short(c)} (${c.message})` : short(c)))
        .join("; ") || "—";
    const records = suiteRecords.records.filter((r) => r.storageClass === facts.className);
    const verdicts = (decided: boolean) =>
      records
        .filter((r) => decidedVerdicts.has(r.verdict) === decided)
        .map((r) => `${r.scenario}: ${r.verdict}${r.observed ? ` (${r.observed.outcome})` : ""}`)
        .join("; ") || "—";
    push(
      `| ${facts.className} (\`${facts.provisioner}\`) | ${names("passed")} | ${names("failed")} | ${names("skipped")} | ${verdicts(true)} | ${verdicts(false)} |`,
    );
  }
  push(
    "",
    `Decided in total: upstream ${upstreamDecided(upstream.serial)} of ${upstream.serial.cases.length} cases (serial run); the suite ${suiteDecided(suiteRecords)} of ${suiteRecords.records.length} (${suiteRecords.label}).`,
  );
  return lines.join("\n");
}
