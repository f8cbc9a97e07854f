import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { down, localPaths, up } from "../clusters/local/provider.ts";
import { cacheRoot } from "../lib/cache-dir.ts";
import { removeRunObjects } from "../lib/cleanup.ts";
import { connect } from "../lib/kube/client.ts";
import { formatDuration, heartbeat, say } from "../lib/progress.ts";
import type { ScenarioRecord } from "../lib/scenario/types.ts";
import { readSettings } from "../lib/settings.ts";
import {
  clusterUsage,
  decisionsOf,
  fmtMs,
  gapsOf,
  matrixRound,
  percentile,
  stepTable,
  type Usage,
  usageTable,
} from "./matrix-round.ts";

/**
 * How the matrix's time grows with the number of storage classes: for each
 * size, a local cluster carrying that many copies of its three classes (each
 * copy with its own CSI driver and sidecars; AMC_LOCAL_CLASS_COPIES), named
 * amc-scale-<classes>, then the steady-state matrix on it (every scenario x
 * class side by side, clean-up included) for a few rounds. Prints, per size,
 * where a case's time goes and what the cluster's processes used, then one
 * table: classes, cases, the matrix's wall time, decision and detection-gap
 * p95, and the ratio of the largest size's time to the smallest's (the goal:
 * 30 classes in less than twice the time of 3).
 *
 * Each cluster is removed once measured (a running one would take the next
 * size's CPU) unless --keep; a kept cluster of the same size is reused.
 * Usage: npm run bench:scale [-- --copies 1,4,10 --rounds 3 --parallel N --keep]
 * (copies of the three classes: 1, 4 and 10 are 3, 12 and 30 classes).
 */

const { values } = parseArgs({
  options: {
    copies: { type: "string", default: "1,4,10" },
    rounds: { type: "string", default: "3" },
    parallel: { type: "string" },
    keep: { type: "boolean", default: false },
  },
  strict: true,
});
const sizes = values.copies.split(",").map(Number);
const rounds = Number(values.rounds);
const parallel = values.parallel ? Number(values.parallel) : undefined;
if (
  sizes.some((n) => !Number.isInteger(n) || n < 1) ||
  !(rounds >= 1) ||
  (parallel !== undefined && !(parallel >= 1))
) {
  console.error("usage: node bench/local-scale.ts [--copies 1,4,10] [--rounds 3] [--parallel N] [--keep]");
  process.exit(2);
}
const settings = { ...readSettings(), storageClasses: [] };
const cores = availableParallelism();

interface SizeResult {
  classes: number;
  cases: number;
  upMs: number;
  reused: boolean;
  walls: number[];
  verdicts: number[];
  records: ScenarioRecord[];
  cpuPerRound: number;
  rssMiB: number;
  idleCpuPercent: number;
}

const results: SizeResult[] = [];
for (const copies of sizes) {
  // The three families' classes, copied, and the zonal class once.
  const classes = 3 * copies + 1;
  const name = `amc-scale-${classes}`;
  say(
    "bench",
    `${classes} classes (${copies} ${copies === 1 ? "copy" : "copies"} of the three): cluster ${name}`,
  );
  const paths = localPaths(cacheRoot(), name);
  const directories = [paths.own, paths.kwokClusterDir];
  const reused = (await clusterUsage(directories)).count.size > 0;
  const upStarted = Date.now();
  const handle = await up({ name, classCopies: copies });
  const upMs = Date.now() - upStarted;
  const kube = connect(handle.kubeconfigPath);
  const result: SizeResult = {
    classes,
    cases: 0,
    upMs,
    reused,
    walls: [],
    verdicts: [],
    records: [],
    cpuPerRound: 0,
    rssMiB: 0,
    idleCpuPercent: 0,
  };
  let before: Usage | undefined;
  let after: Usage | undefined;
  let benchCpu = 0;
  try {
    before = await clusterUsage(directories);
    const benchBefore = process.cpuUsage();
    for (let round = 1; round <= rounds; round++) {
      const started = Date.now();
      const stop = heartbeat(
        "bench",
        (elapsed) => `${classes} classes, round ${round}/${rounds}: ${elapsed}`,
      );
      const r = await matrixRound(kube, handle, settings, parallel ? { parallel } : {}).finally(stop);
      await removeRunObjects(kube, r.runId);
      result.cases = r.records.length;
      result.walls.push(r.wallMs);
      result.verdicts.push(r.verdictsMs);
      result.records.push(...r.records);
      say(
        "bench",
        `${classes} classes, round ${round}/${rounds}: ${r.records.length} cases in ${formatDuration(r.wallMs)} (last verdict at ${formatDuration(r.verdictsMs)}; with preparation ${formatDuration(Date.now() - started)}); decision p95 ${fmtMs(percentile(decisionsOf(r.records), 95))}, detection gap p95 ${fmtMs(percentile(gapsOf(r.records), 95))}, the suite's event loop late by ${fmtMs(r.loopDelayMs.p99)} p99`,
      );
    }
    const used = process.cpuUsage(benchBefore);
    benchCpu = (used.user + used.system) / 1e6;
    after = await clusterUsage(directories);
    // What the cluster costs when nothing runs: its processes' CPU over 10 s.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const idle = await clusterUsage(directories);
    const sum = (usage: Usage) => [...usage.cpuSeconds.values()].reduce((a, b) => a + b, 0);
    result.idleCpuPercent = ((sum(idle) - sum(after)) / 10) * 100;
    result.cpuPerRound = (sum(after) - sum(before)) / rounds;
    result.rssMiB = [...after.rssMiB.values()].reduce((a, b) => a + b, 0);
  } finally {
    if (values.keep)
      say("bench", `leaving ${name} running (node bin/amc.js cluster down ${name} removes it)`);
    else await down(name);
  }
  results.push(result);
  console.log(`\n## ${classes} classes, ${result.cases} cases, ${rounds} rounds\n`);
  console.log(
    `matrix wall time: median ${formatDuration(percentile(result.walls, 50))} (rounds: ${result.walls.map(formatDuration).join(", ")}); to the last verdict: median ${formatDuration(percentile(result.verdicts, 50))}\n`,
  );
  console.log(`where a case's time goes:\n\n${stepTable(result.records)}\n`);
  if (before && after) {
    console.log(`CPU and memory over the ${rounds} rounds (their runs' preparation included):\n`);
    console.log(`${usageTable(before, after, benchCpu, cores)}\n`);
    console.log(
      `idle, after the rounds: the cluster's processes use ${result.idleCpuPercent.toFixed(0)}% of one core\n`,
    );
  }
}

console.log(`\n## The matrix by number of classes (${rounds} rounds each, ${cores} cores)\n`);
console.log(
  "| classes | scenario cases | up | matrix wall time (median) | to the last verdict (median) | decision p95 | detection gap p95 | cluster CPU s per round | cluster memory | cluster idle CPU |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.classes} | ${r.cases} | ${r.reused ? "reused" : formatDuration(r.upMs)} | ${formatDuration(percentile(r.walls, 50))} | ${formatDuration(percentile(r.verdicts, 50))} | ${fmtMs(percentile(decisionsOf(r.records), 95))} | ${fmtMs(percentile(gapsOf(r.records), 95))} | ${r.cpuPerRound.toFixed(0)} | ${r.rssMiB.toFixed(0)} MiB | ${r.idleCpuPercent.toFixed(0)}% |`,
  );
}
const smallest = results[0];
const largest = results.at(-1);
if (smallest && largest && largest !== smallest) {
  const ratio = percentile(largest.walls, 50) / percentile(smallest.walls, 50);
  const verdictRatio = percentile(largest.verdicts, 50) / percentile(smallest.verdicts, 50);
  console.log(
    `\nratio ${largest.classes}/${smallest.classes} classes: matrix wall time ${ratio.toFixed(2)}x, to the last verdict ${verdictRatio.toFixed(2)}x (goal: under 2x)`,
  );
}
