import type { Outcome, Verdict } from "../scenario/types.ts";
import type {
  Certification,
  CertificationClaims,
  CertificationResult,
  ClaimEvidence,
  ClaimStatus,
} from "./document.ts";

/**
 * certification.md: the matrix (classes x scenarios, one line per cell), the
 * findings in plain words, what deviated or stayed undecided and why, and the
 * measured handoff times. Rendered from the certification document only.
 */

export const shortOutcome: Record<Outcome, string> = {
  admitted: "admitted",
  "multi-attach-blocked": "Multi-Attach",
  "node-affinity-conflict": "node affinity conflict",
  "rwop-scheduler-rejected": "refused by the scheduler",
  "rwop-kubelet-rejected": "refused by the kubelet",
  "handed-over": "handed over",
  "holder-preempted": "holder preempted",
  "attached-to-two-nodes": "attached to two nodes",
  "failed-over": "failed over",
  "not-failed-over": "not failed over",
};

export const verdictWord: Record<Verdict | "not-run", string> = {
  conforms: "conforms",
  finding: "FINDING",
  deviates: "DEVIATES",
  "not-applicable": "n/a",
  inconclusive: "INCONCLUSIVE",
  "not-run": "not run",
};

const escapeCell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The one-line verdict of a matrix cell. */
export function cellText(result: CertificationResult): string {
  const word = verdictWord[result.verdict ?? "not-run"];
  if (!result.observed) return word;
  const handoff = result.timings?.handoffMs !== undefined ? ` in ${seconds(result.timings.handoffMs)}` : "";
  return `${word}: ${shortOutcome[result.observed.outcome]}${handoff}`;
}

export function runLine(cert: Certification): string {
  return `\`${cert.run.id}\`, ${cert.run.startedAt} to ${cert.run.finishedAt} (${cert.run.status}), ${cert.suite.name} ${cert.suite.version}`;
}

export function clusterLine(cert: Certification): string {
  const { cluster } = cert;
  const byZone = cluster.zones.map(
    (zone) =>
      `${zone}: ${cluster.nodes
        .filter((n) => n.zone === zone)
        .map((n) => n.name)
        .join(", ")}`,
  );
  const unzoned = cluster.nodes.filter((n) => !n.zone).map((n) => n.name);
  const where = [...byZone, ...(unzoned.length > 0 ? [`no zone: ${unzoned.join(", ")}`] : [])].join("; ");
  return `${cluster.provider} cluster \`${cluster.name}\`, Kubernetes ${cluster.kubernetesVersion}, ${cluster.fidelity} fidelity, ${cluster.nodes.length} schedulable node(s) in ${cluster.zones.length} zone(s) (${where})`;
}

export function countsLine(cert: Certification): string {
  return (Object.entries(cert.summary.counts) as [Verdict | "not-run", number][])
    .filter(([, n]) => n > 0)
    .map(([verdict, n]) => `${n} ${verdict}`)
    .join(", ");
}

export const claimWord: Record<ClaimStatus, string> = {
  held: "held",
  broken: "BROKEN",
  "not-checked": "not checked",
};

export function claimCountsLine(claims: CertificationClaims): string {
  return (Object.entries(claims.counts) as [ClaimStatus, number][])
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${claimWord[status]}`)
    .join(", ");
}

/** Where the profile came from, and what it is about. */
export function profileLine(claims: CertificationClaims): string {
  const { driver } = claims.profile;
  const about = [driver.name, driver.version, driver.vendor ? `by ${driver.vendor}` : ""]
    .filter(Boolean)
    .join(" ");
  return `\`${claims.profile.file}\` (${about}), SHA-256 \`${claims.profile.sha256}\``;
}

/** One evidence line of a claim: the scenario, what it showed, and whether that agrees. */
export function claimEvidenceText(e: ClaimEvidence): string {
  const event = e.decidedBy ? ` [${e.decidedBy.source} ${e.decidedBy.reason}: ${e.decidedBy.message}]` : "";
  return `${e.scenario} @ ${e.storageClass} ${e.judgement} (${e.verdict ?? "not run"}): ${e.why}${event}`;
}

function claimsSection(claims: CertificationClaims): string[] {
  return [
    "## Claims",
    "",
    `Profile ${profileLine(claims)}: ${claimCountsLine(claims)}.`,
    "",
    "| class | claim | status | why | decided by |",
    "|---|---|---|---|---|",
    ...claims.results.map(
      (c) =>
        `| \`${c.storageClass}\` | ${escapeCell(c.claim)} | ${claimWord[c.status]} | ${escapeCell(c.reason)} | ${escapeCell(
          [...c.decidedBy.scenarios, ...c.decidedBy.fields].join(", "),
        )} |`,
    ),
    "",
    "### Evidence of each claim",
    "",
    ...claims.results.flatMap((c) => [
      `- \`${c.id}\` ${claimWord[c.status]}: ${c.claim}`,
      ...(c.evidence.length > 0
        ? c.evidence.map((e) => `  - ${claimEvidenceText(e).replaceAll("\n", " ")}`)
        : [`  - ${c.reason}`]),
    ]),
    "",
  ];
}

function listOf(cert: Certification, verdict: Verdict | "not-run", heading: string): string[] {
  const results = cert.results.filter((r) => (r.verdict ?? "not-run") === verdict);
  if (results.length === 0) return [];
  return [
    `## ${heading}`,
    "",
    ...results.map((r) => `- \`${r.scenario} @ ${r.storageClass}\`: ${r.reason}`),
    "",
  ];
}

export function renderMarkdown(cert: Certification, digest?: string): string {
  const scenarioIds = cert.scenarios.map((s) => s.id);
  const resultOf = (scenario: string, storageClass: string) =>
    cert.results.find((r) => r.scenario === scenario && r.storageClass === storageClass);
  const lines = [
    `# Access-mode conformance: ${cert.cluster.provider} cluster \`${cert.cluster.name}\``,
    "",
    ...(cert.fidelityNote ? [`> **${cert.fidelityNote}**`, ""] : []),
    `- Cluster: ${clusterLine(cert)}`,
    `- Run: ${runLine(cert)}`,
    `- Verdicts: ${countsLine(cert)}`,
    ...(cert.claims ? [`- Claims: ${claimCountsLine(cert.claims)}`] : []),
    ...(digest ? [`- certification.json SHA-256: \`${digest}\``] : []),
    "",
    ...(cert.claims ? claimsSection(cert.claims) : []),
    "## Storage classes",
    "",
    "| class | provisioner | family | why | binding mode |",
    "|---|---|---|---|---|",
    ...cert.storageClasses.map(
      (c) =>
        `| \`${c.name}\` | ${escapeCell(c.provisioner)} | ${c.family} | ${escapeCell(c.familyReason)} | ${c.volumeBindingMode} |`,
    ),
    "",
    "## Matrix",
    "",
    `| class | ${scenarioIds.join(" | ")} |`,
    `|---|${scenarioIds.map(() => "---").join("|")}|`,
    ...cert.storageClasses.map((c) => {
      const cells = scenarioIds.map((id) => {
        const result = resultOf(id, c.name);
        return result ? escapeCell(cellText(result)) : "";
      });
      return `| \`${c.name}\` (${c.family}) | ${cells.join(" | ")} |`;
    }),
    "",
    "## Findings",
    "",
    ...(cert.summary.findings.length > 0 ? cert.summary.findings.map((f) => `- ${f}`) : ["None."]),
    "",
    ...listOf(cert, "deviates", "Deviations"),
    ...listOf(cert, "inconclusive", "Inconclusive"),
    ...listOf(cert, "not-applicable", "Not applicable"),
    ...listOf(cert, "not-run", "Not run"),
    "## Handoff times",
    "",
    ...(cert.summary.handoffs.length > 0
      ? [
          "Holder deleted to volume attached on the other node (detach: holder gone to old attachment gone; attach: to the new one attached).",
          "",
          "| class | handoff | detach | attach |",
          "|---|---|---|---|",
          ...cert.summary.handoffs.map(
            (h) =>
              `| \`${h.storageClass}\` | ${seconds(h.handoffMs)} | ${h.detachMs !== undefined ? `${h.detachMs} ms` : "-"} | ${h.attachMs !== undefined ? `${h.attachMs} ms` : "-"} |`,
          ),
        ]
      : ["None measured (no attachable class, or no handoff ran)."]),
    "",
  ];
  return lines.join("\n");
}
