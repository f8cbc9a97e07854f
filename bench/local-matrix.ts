import { acquireCluster } from "../app/acquire-cluster.ts";
import { removeRunObjects } from "../lib/cleanup.ts";
import { connect } from "../lib/kube/client.ts";
import { newRunContext, prepareRun } from "../lib/prepare-run.ts";
import { formatDuration } from "../lib/progress.ts";
import { runScenario } from "../lib/scenario/runner.ts";
import { scenarios } from "../lib/scenario/scenarios.ts";
import { timeoutsOf } from "../lib/scenario/timeouts.ts";
import type { ScenarioRecord } from "../lib/scenario/types.ts";
import { readSettings } from "../lib/settings.ts";

/**
 * Measures the scenario matrix on the local cluster, after it is up: the wall
 * time of every scenario x class side by side (clean-up included), and per
 * scenario the time to decision (from pod B's creation) and the detection
 * gap (from the control plane emitting the deciding event to the suite
 * seeing it). Usage: npm run bench:matrix [-- ROUNDS]
 */

const rounds = Number(process.argv[2] ?? 3);
const settings = readSettings();
const handle = await acquireCluster(settings);
const kube = connect(handle.kubeconfigPath);
const records: ScenarioRecord[] = [];
const walls: number[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const run = await newRunContext({ reportDir: "reports/bench", image: "alpine" });
    const prepared = await prepareRun(kube, handle, run, settings);
    const started = Date.now();
    const results = await Promise.all(
      scenarios.flatMap((scenario) =>
        prepared.storage.map((storage) =>
          runScenario({
            kube,
            cluster: handle,
            pool: prepared.nodes,
            storage,
            scenario,
            run,
            timeouts: timeoutsOf(settings),
          }),
        ),
      ),
    );
    walls.push(Date.now() - started);
    records.push(...results.map((r) => r.record));
    await removeRunObjects(kube, run.runId);
    console.log(`round ${round}: ${results.length} scenario runs in ${formatDuration(walls.at(-1) ?? 0)}`);
  }
} finally {
  await handle.release();
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const fmt = (ms: number) => (Number.isNaN(ms) ? "-" : `${ms.toFixed(0)} ms`);

console.log(
  `\nmatrix wall time (scenarios x classes side by side, clean-up included): median ${formatDuration(percentile(walls, 50))}, max ${formatDuration(Math.max(...walls))} over ${rounds} rounds`,
);
console.log(
  "\n| scenario @ class | verdict | decision median | decision p95 | detection gap median | gap p95 |",
);
console.log("|---|---|---|---|---|---|");
const keys = [...new Set(records.map((r) => `${r.scenario} @ ${r.storageClass}`))];
for (const key of keys) {
  const runs = records.filter((r) => `${r.scenario} @ ${r.storageClass}` === key);
  const decisions = runs.flatMap((r) => (r.timings.decisionMs === undefined ? [] : [r.timings.decisionMs]));
  const gaps = runs.flatMap((r) =>
    r.timings.detectionGapMs === undefined ? [] : [r.timings.detectionGapMs],
  );
  const verdicts = [...new Set(runs.map((r) => r.verdict))].join(", ");
  console.log(
    `| ${key} | ${verdicts} | ${fmt(percentile(decisions, 50))} | ${fmt(percentile(decisions, 95))} | ${fmt(percentile(gaps, 50))} | ${fmt(percentile(gaps, 95))} |`,
  );
}
const allDecisions = records.flatMap((r) =>
  r.timings.decisionMs === undefined ? [] : [r.timings.decisionMs],
);
console.log(
  `\ntime to decision over all ${allDecisions.length} decided runs: median ${fmt(percentile(allDecisions, 50))}, p95 ${fmt(percentile(allDecisions, 95))}, max ${fmt(Math.max(...allDecisions))}`,
);
const allGaps = records.flatMap((r) =>
  r.timings.detectionGapMs === undefined ? [] : [r.timings.detectionGapMs],
);
const handoffs = records.flatMap((r) => (r.timings.handoffMs === undefined ? [] : [r.timings.handoffMs]));
console.log(
  `\ndetection gap over all ${allGaps.length} event-decided runs: median ${fmt(percentile(allGaps, 50))}, p95 ${fmt(percentile(allGaps, 95))}, max ${fmt(Math.max(...allGaps))}`,
);
console.log(
  `handoff (holder deleted -> volume attached to the waiting pod's node): median ${fmt(percentile(handoffs, 50))}, max ${fmt(Math.max(...handoffs))}`,
);
