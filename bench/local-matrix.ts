import { availableParallelism } from "node:os";
import { acquireCluster } from "../app/acquire-cluster.ts";
import { localPaths } from "../clusters/local/provider.ts";
import { cacheRoot } from "../lib/cache-dir.ts";
import { removeRunObjects } from "../lib/cleanup.ts";
import { connect } from "../lib/kube/client.ts";
import { formatDuration } from "../lib/progress.ts";
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
  usageTable,
} from "./matrix-round.ts";

/**
 * Measures the scenario matrix on the local cluster, after it is up: the wall
 * time of every scenario x class side by side (clean-up included), and per
 * scenario the time to decision (from pod B's creation) and the detection
 * gap (from the control plane emitting the deciding event to the suite
 * seeing it); then where a case's time goes, step by step, and the CPU and
 * memory the cluster's processes used. Usage: npm run bench:matrix [-- ROUNDS]
 */

const rounds = Number(process.argv[2] ?? 3);
const settings = readSettings();
const handle = await acquireCluster(settings);
const kube = connect(handle.kubeconfigPath);
const paths = localPaths(cacheRoot(), handle.name);
const directories = handle.provider === "local" ? [paths.own, paths.kwokClusterDir] : [];
const records: ScenarioRecord[] = [];
const walls: number[] = [];
const verdicts: number[] = [];
const usageBefore = await clusterUsage(directories);
const benchCpuBefore = process.cpuUsage();
try {
  for (let round = 1; round <= rounds; round++) {
    const result = await matrixRound(kube, handle, settings);
    walls.push(result.wallMs);
    verdicts.push(result.verdictsMs);
    records.push(...result.records);
    await removeRunObjects(kube, result.runId);
    console.log(
      `round ${round}: ${result.records.length} scenario runs in ${formatDuration(result.wallMs)} (last verdict at ${formatDuration(result.verdictsMs)}; the suite's event loop late by ${fmtMs(result.loopDelayMs.p99)} p99, ${fmtMs(result.loopDelayMs.max)} max)`,
    );
  }
} finally {
  const usageAfter = await clusterUsage(directories);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  await handle.release();
  if (directories.length > 0) {
    console.log(`\nCPU and memory over the ${rounds} rounds (their runs' preparation included):\n`);
    console.log(
      usageTable(usageBefore, usageAfter, (benchCpu.user + benchCpu.system) / 1e6, availableParallelism()),
    );
  }
}

console.log(
  `\nmatrix wall time (scenarios x classes side by side, clean-up included): median ${formatDuration(percentile(walls, 50))}, max ${formatDuration(Math.max(...walls))} over ${rounds} rounds; to the last verdict: median ${formatDuration(percentile(verdicts, 50))}`,
);
console.log(`\nwhere a case's time goes (every round):\n\n${stepTable(records)}`);
console.log(
  "\n| scenario @ class | verdict | decision median | decision p95 | detection gap median | gap p95 |",
);
console.log("|---|---|---|---|---|---|");
const keys = [...new Set(records.map((r) => `${r.scenario} @ ${r.storageClass}`))];
for (const key of keys) {
  const runs = records.filter((r) => `${r.scenario} @ ${r.storageClass}` === key);
  const decisions = decisionsOf(runs);
  const gaps = gapsOf(runs);
  const verdictNames = [...new Set(runs.map((r) => r.verdict))].join(", ");
  console.log(
    `| ${key} | ${verdictNames} | ${fmtMs(percentile(decisions, 50))} | ${fmtMs(percentile(decisions, 95))} | ${fmtMs(percentile(gaps, 50))} | ${fmtMs(percentile(gaps, 95))} |`,
  );
}
const allDecisions = decisionsOf(records);
console.log(
  `\ntime to decision over all ${allDecisions.length} decided runs: median ${fmtMs(percentile(allDecisions, 50))}, p95 ${fmtMs(percentile(allDecisions, 95))}, max ${fmtMs(Math.max(...allDecisions))}`,
);
const allGaps = gapsOf(records);
const handoffs = records.flatMap((r) => (r.timings.handoffMs === undefined ? [] : [r.timings.handoffMs]));
console.log(
  `\ndetection gap over all ${allGaps.length} event-decided runs: median ${fmtMs(percentile(allGaps, 50))}, p95 ${fmtMs(percentile(allGaps, 95))}, max ${fmtMs(Math.max(...allGaps))}`,
);
console.log(
  `handoff (holder deleted -> volume attached to the waiting pod's node): median ${fmtMs(percentile(handoffs, 50))}, max ${fmtMs(Math.max(...handoffs))}`,
);
