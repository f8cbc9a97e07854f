import type { RunRecord, Verdict } from "../scenario/types.ts";
import { outcomeText } from "../scenario/verdict.ts";

/**
 * The end-of-run summary printed to the terminal: one line per scenario run
 * with its verdict and the evidence it rests on, then the findings and the
 * measured handoff times. A plain function of the records.
 */

const mark: Record<Verdict, string> = {
  conforms: "conforms",
  finding: "FINDING",
  deviates: "DEVIATES",
  "not-applicable": "n/a",
  inconclusive: "INCONCLUSIVE",
};

function evidenceLine(record: RunRecord): string {
  if (!record.observed || record.verdict === "not-applicable" || record.verdict === "inconclusive")
    return record.reason;
  const by = record.observed.decidedBy;
  const what = outcomeText[record.observed.outcome];
  return by ? `${what}: ${by.reason} [${by.source}] ${by.message}` : `${what}: ${record.observed.summary}`;
}

export function summarize(records: readonly RunRecord[]): string {
  if (records.length === 0) return "no scenario ran";
  const sorted = [...records].sort(
    (a, b) => a.scenario.localeCompare(b.scenario) || a.storageClass.localeCompare(b.storageClass),
  );
  const width = Math.max(...sorted.map((r) => `${r.scenario} @ ${r.storageClass}`.length));
  const lines = sorted.map((r) => {
    const line = `  ${`${r.scenario} @ ${r.storageClass}`.padEnd(width)}  ${mark[r.verdict].padEnd(12)} ${evidenceLine(r)}`;
    return line.length > 220 ? `${line.slice(0, 217)}...` : line;
  });
  const first = sorted[0] as RunRecord;
  const header = `scenario results, run ${first.runId} on ${first.cluster.provider} cluster ${first.cluster.name} (Kubernetes ${first.cluster.kubernetesVersion}, ${first.cluster.fidelity} fidelity${first.cluster.fidelity === "control-plane" ? ": kubelet-level checks not run" : ""})`;
  const findings = sorted.filter((r) => r.verdict === "finding").map((r) => `  ${r.reason}`);
  const handoffs = sorted
    .filter((r) => r.timings.handoffMs !== undefined)
    .map(
      (r) =>
        `  ${r.storageClass}: ${((r.timings.handoffMs ?? 0) / 1000).toFixed(1)} s (detach ${r.timings.detachMs ?? "?"} ms, attach ${r.timings.attachMs ?? "?"} ms)`,
    );
  const counts = (Object.keys(mark) as Verdict[])
    .map((v) => [v, sorted.filter((r) => r.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(", ");
  return [
    header,
    ...lines,
    counts,
    ...(findings.length > 0 ? ["findings:", ...findings] : []),
    ...(handoffs.length > 0
      ? ["handoff times (holder deleted to volume attached on the other node):", ...handoffs]
      : []),
  ].join("\n");
}
