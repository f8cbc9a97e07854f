import { readFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { ClusterHandle } from "../lib/cluster/contract.ts";
import type { Kube } from "../lib/kube/client.ts";
import { newRunContext, prepareRun } from "../lib/prepare-run.ts";
import { type MentioningProcess, processesMentioning } from "../lib/processes.ts";
import { runScenario } from "../lib/scenario/runner.ts";
import { type Scenario, scenarios, workloadScenarios } from "../lib/scenario/scenarios.ts";
import { timeoutsOf } from "../lib/scenario/timeouts.ts";
import type { ScenarioRecord } from "../lib/scenario/types.ts";
import type { Settings } from "../lib/settings.ts";

/**
 * What the matrix benchmarks share (local-matrix.ts, local-scale.ts): one
 * round of the matrix (every scenario but the node-failure ones x class side
 * by side, each case with its namespace's clean-up), the figures taken from
 * its records, and the CPU and memory the cluster's processes used meanwhile.
 */

/** The matrix's scenarios: the access-mode families and the workloads family (AMC_BENCH_FAMILIES=access-modes: the first alone). */
export function matrixScenarios(): readonly Scenario[] {
  return process.env.AMC_BENCH_FAMILIES === "access-modes" ? scenarios : [...scenarios, ...workloadScenarios];
}

export interface MatrixRound {
  runId: string;
  /** From the first case's start to the last case's end, clean-up included. */
  wallMs: number;
  /** From the first case's start to the last verdict (each case's end before its clean-up). */
  verdictsMs: number;
  /**
   * How late this process's event loop ran while the cases ran (p99, max; ms):
   * an event that arrives while the loop is busy is seen that much later.
   */
  loopDelayMs: { p99: number; max: number };
  records: ScenarioRecord[];
}

/**
 * Prepares a run (preflight, leftovers, the classes' probes: not timed) and
 * runs every scenario on every class side by side, at most `parallel` at a
 * time when given.
 */
export async function matrixRound(
  kube: Kube,
  handle: ClusterHandle,
  settings: Settings,
  options: { parallel?: number } = {},
): Promise<MatrixRound> {
  const run = await newRunContext({ reportDir: "reports/bench", image: "alpine" });
  const prepared = await prepareRun(kube, handle, run, settings);
  const cases = matrixScenarios().flatMap((scenario) =>
    prepared.storage.map((storage) => ({ scenario, storage })),
  );
  const started = Date.now();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const records: ScenarioRecord[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const { scenario, storage } = cases[i] as (typeof cases)[number];
      const { record } = await runScenario({
        kube,
        cluster: handle,
        pool: prepared.nodes,
        storage,
        scenario,
        run,
        timeouts: timeoutsOf(settings),
      });
      records[i] = record;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel ?? cases.length, cases.length) }, worker));
  const wallMs = Date.now() - started;
  loop.disable();
  const verdictsMs = Math.max(...records.map((r) => verdictAt(r))) - started;
  const loopDelayMs = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  return { runId: run.runId, wallMs, verdictsMs, loopDelayMs, records };
}

/** When a case's verdict was in: the end of its last step before the clean-up. */
function verdictAt(record: ScenarioRecord): number {
  const steps = record.timings.steps.filter((s) => s.step !== "clean-up");
  const last = steps.at(-1);
  return last ? Date.parse(last.startedAt) + last.ms : Date.parse(record.timings.startedAt);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const fmtMs = (ms: number) => (Number.isNaN(ms) ? "-" : `${ms.toFixed(0)} ms`);

export const decisionsOf = (records: readonly ScenarioRecord[]) =>
  records.flatMap((r) => (r.timings.decisionMs === undefined ? [] : [r.timings.decisionMs]));

export const gapsOf = (records: readonly ScenarioRecord[]) =>
  records.flatMap((r) => (r.timings.detectionGapMs === undefined ? [] : [r.timings.detectionGapMs]));

/**
 * Where a case's time goes: each step's duration over every record (the
 * namespace and its service account before the first step as "set-up"),
 * as a Markdown table.
 */
export function stepTable(records: readonly ScenarioRecord[]): string {
  const byStep = new Map<string, number[]>();
  const add = (step: string, ms: number) => byStep.set(step, [...(byStep.get(step) ?? []), ms]);
  for (const record of records) {
    const first = record.timings.steps[0];
    if (first) add("set-up", Date.parse(first.startedAt) - Date.parse(record.timings.startedAt));
    for (const step of record.timings.steps) add(step.step, step.ms);
  }
  const lines = ["| step | count | median | p95 | max |", "|---|---|---|---|---|"];
  for (const [step, values] of byStep) {
    lines.push(
      `| ${step} | ${values.length} | ${fmtMs(percentile(values, 50))} | ${fmtMs(percentile(values, 95))} | ${fmtMs(Math.max(...values))} |`,
    );
  }
  return lines.join("\n");
}

/** The cluster's processes by group, CPU seconds and resident memory. */
export interface Usage {
  /** CPU seconds (user and system) by group, since the processes started. */
  cpuSeconds: Map<string, number>;
  /** Resident memory by group, MiB. */
  rssMiB: Map<string, number>;
  /** Processes by group. */
  count: Map<string, number>;
  /** The machine's CPU: busy and total ticks of every core since boot (/proc/stat). */
  machine: { busy: number; total: number };
}

/** kwokctl's components by program; the suite's CSI driver; the sidecars; the supervisor. */
function groupOf(process: MentioningProcess): string {
  if (process.cmdline.includes("csi-driver/main.ts")) return "CSI drivers";
  if (process.program === "csi-provisioner" || process.program === "csi-attacher") return "CSI sidecars";
  if (process.cmdline.includes("supervisor-main.ts")) return "supervisor";
  return process.program;
}

/** Field `n` (1-based, as in proc(5)) of /proc/<pid>/stat. */
async function statFields(pid: number): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // The fields after the command name (which may contain spaces) start with the state, field 3.
  return stat ? ["", "", "", ...stat.slice(stat.lastIndexOf(")") + 2).split(" ")] : undefined;
}

const ticksPerSecond = 100; // USER_HZ on Linux
const pageBytes = 4096;

/** The CPU and memory of every process of a cluster, found by the directories their commands name. */
export async function clusterUsage(directories: readonly string[]): Promise<Usage> {
  const found = new Map<number, MentioningProcess>();
  for (const directory of directories)
    for (const p of await processesMentioning(directory)) found.set(p.pid, p);
  const usage: Usage = {
    cpuSeconds: new Map(),
    rssMiB: new Map(),
    count: new Map(),
    machine: await machineTicks(),
  };
  const add = (map: Map<string, number>, key: string, value: number) =>
    map.set(key, (map.get(key) ?? 0) + value);
  for (const p of found.values()) {
    const fields = await statFields(p.pid);
    if (!fields || fields[3] === "Z") continue;
    const group = groupOf(p);
    add(usage.cpuSeconds, group, (Number(fields[14]) + Number(fields[15])) / ticksPerSecond);
    add(usage.rssMiB, group, (Number(fields[24]) * pageBytes) / 2 ** 20);
    add(usage.count, group, 1);
  }
  return usage;
}

async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  // idle and iowait
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * What the cluster's processes used between two samples, by group, as a
 * Markdown table: CPU seconds, processes and memory now; and the machine's
 * CPU use meanwhile (every process on it, the benchmark's own included).
 */
export function usageTable(before: Usage, after: Usage, benchCpuSeconds: number, cores: number): string {
  const groups = [...after.cpuSeconds.keys()].sort(
    (a, b) =>
      (after.cpuSeconds.get(b) ?? 0) -
      (before.cpuSeconds.get(b) ?? 0) -
      ((after.cpuSeconds.get(a) ?? 0) - (before.cpuSeconds.get(a) ?? 0)),
  );
  const lines = ["| processes | count | CPU seconds | memory (RSS) |", "|---|---|---|---|"];
  let cpu = 0;
  let rss = 0;
  for (const group of groups) {
    const used = (after.cpuSeconds.get(group) ?? 0) - (before.cpuSeconds.get(group) ?? 0);
    cpu += used;
    rss += after.rssMiB.get(group) ?? 0;
    lines.push(
      `| ${group} | ${after.count.get(group)} | ${used.toFixed(1)} | ${(after.rssMiB.get(group) ?? 0).toFixed(0)} MiB |`,
    );
  }
  lines.push(`| the benchmark (the suite's side) | 1 | ${benchCpuSeconds.toFixed(1)} | |`);
  lines.push(`| **cluster total** | | **${cpu.toFixed(1)}** | **${rss.toFixed(0)} MiB** |`);
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  const seconds = total / cores / ticksPerSecond;
  lines.push(
    "",
    `machine: ${((100 * busy) / Math.max(1, total)).toFixed(0)}% of ${cores} cores busy over ${seconds.toFixed(1)} s (every process on it: ${(busy / ticksPerSecond).toFixed(1)} CPU seconds)`,
  );
  return lines.join("\n");
}
