import { outcomeText } from "../scenario/verdict.ts";
import { caseName, handoffName } from "./cases.ts";
import type { Certification, CertificationResult } from "./document.ts";
import { dataWord, fencingWord, recoveryWords, totalText } from "./failover-text.ts";
import { claimCountsLine, claimWord, countsLine, seconds, verdictWord } from "./markdown.ts";
import { rolloutDurations, stalledRolloutSentences } from "./rollouts.ts";

/**
 * The end-of-run summary printed to the terminal: one line per scenario and
 * class with its verdict and the evidence it rests on, then the verdict
 * counts, the findings, the measured handoff times and the node-failure
 * times with their data and fencing verdicts. Rendered from the
 * certification document, like every other form of the report.
 */

function evidenceLine(result: CertificationResult): string {
  if (!result.observed || result.verdict === "not-applicable" || result.verdict === "inconclusive") {
    return result.reason;
  }
  const by = result.observed.decidedBy;
  const what = outcomeText[result.observed.outcome];
  if (result.failover) return `${what}: ${result.observed.summary}`;
  return by ? `${what}: ${by.reason} [${by.source}] ${by.message}` : `${what}: ${result.observed.summary}`;
}

export function summarize(cert: Certification): string {
  const sorted = [...cert.results].sort(
    (a, b) =>
      a.scenario.localeCompare(b.scenario) ||
      a.storageClass.localeCompare(b.storageClass) ||
      (a.faultMode ?? "").localeCompare(b.faultMode ?? ""),
  );
  if (sorted.length === 0) return "no scenario was planned";
  const width = Math.max(...sorted.map((r) => caseName(r).length));
  const lines = sorted.map((r) => {
    const line = `  ${caseName(r).padEnd(width)}  ${verdictWord[r.verdict ?? "not-run"].padEnd(12)} ${evidenceLine(r)}`;
    return line.length > 220 ? `${line.slice(0, 217)}...` : line;
  });
  const { cluster, summary } = cert;
  const fidelity = cluster.fidelity === "control-plane" ? ": kubelet-level checks not run" : "";
  const header = `scenario results, run ${cert.run.id} on ${cluster.provider} cluster ${cluster.name} (Kubernetes ${cluster.kubernetesVersion}, ${cluster.fidelity} fidelity${fidelity})`;
  const handoffs = summary.handoffs.map(
    (h) =>
      `  ${handoffName(h)}: ${seconds(h.handoffMs)} (detach ${h.detachMs ?? "?"} ms, attach ${h.attachMs ?? "?"} ms)`,
  );
  const stalled = stalledRolloutSentences(cert.results);
  const durations = rolloutDurations(cert.results);
  // The results that failed over (the others say so above): how fast, and the data and fencing verdicts.
  const failovers = (summary.failovers ?? [])
    .filter((f) => f.recovered)
    .map((f) => {
      const line = `  ${caseName(f).padEnd(width)}  ${totalText(f)}; data ${dataWord[f.data]}; fencing ${fencingWord[f.fencing]}`;
      return line.length > 220 ? `${line.slice(0, 217)}...` : line;
    });
  const claims = cert.claims
    ? [
        `claims of ${cert.claims.profile.file}: ${claimCountsLine(cert.claims)}`,
        ...cert.claims.results.map((c) => {
          const line = `  ${claimWord[c.status].padEnd(11)} ${c.storageClass}: ${c.claim} (${c.reason})`;
          return line.length > 260 ? `${line.slice(0, 257)}...` : line;
        }),
      ]
    : [];
  return [
    header,
    ...lines,
    countsLine(cert),
    ...(summary.findings.length > 0 ? ["findings:", ...summary.findings.map((f) => `  ${f}`)] : []),
    ...((summary.clusterFindings ?? []).length > 0
      ? [
          "findings about the cluster's control plane (its Kubernetes, not the storage):",
          ...(summary.clusterFindings ?? []).map((f) => `  ${f}`),
        ]
      : []),
    ...(handoffs.length > 0
      ? ["handoff times (holder deleted to volume attached on the other node):", ...handoffs]
      : []),
    ...(stalled.length > 0
      ? ["rollouts that stall:", ...stalled.map((s) => `  ${s.replaceAll("`", "")}`)]
      : []),
    ...(durations.length > 0
      ? [
          "rollouts that completed (the old pod's deletion to the new pod admitted):",
          ...durations.map(
            (d) =>
              `  ${`${d.scenario} @ ${d.storageClass}`.padEnd(width)}  ${d.rolloutMs !== undefined ? seconds(d.rolloutMs) : "none: the new pod ran before the old one was deleted"}${d.attachMs !== undefined ? ` (detach ${d.detachMs ?? "?"} ms, attach ${d.attachMs} ms)` : ""}`,
          ),
        ]
      : []),
    ...(failovers.length > 0 ? [`node failure (${recoveryWords(cert)}):`, ...failovers] : []),
    ...claims,
  ].join("\n");
}
