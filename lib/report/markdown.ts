import type { Outcome, Verdict } from "../scenario/types.ts";
import {
  aboutControlPlane,
  caseName,
  faultModeWords,
  handoffName,
  isFailoverScenario,
  matrixGroups,
  pathWords,
  scenarioLabel,
} from "./cases.ts";
import type {
  Certification,
  CertificationClaims,
  CertificationResult,
  ClaimEvidence,
  ClaimStatus,
} from "./document.ts";
import {
  dataWord,
  failoverResults,
  failoverRows,
  faultText,
  fencingWord,
  parameterLines,
  recoveryWords,
  sinceFault,
  totalText,
} from "./failover-text.ts";
import { rolloutDurations, stalledRolloutSentences } from "./rollouts.ts";

/**
 * certification.md: the matrix (classes x scenarios, one line per cell), the
 * findings in plain words, what deviated or stayed undecided and why, the
 * measured handoff times, and the node-failure timelines (a matrix of their
 * own, a row per scenario and fault mode, then class by class each timeline).
 * Rendered from the certification document only.
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
  "rollout-completed": "rollout completed",
  "rollout-stalled": "rollout stalled",
  "other-namespace-preempted": "another namespace's pod preempted",
  "attach-refused": "attach refused (access modes)",
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
  const handoff =
    result.timings?.handoffMs !== undefined
      ? ` in ${seconds(result.timings.handoffMs)}`
      : result.timings?.rolloutMs !== undefined
        ? ` in ${seconds(result.timings.rolloutMs)}`
        : "";
  const failover =
    result.failover?.recovered && result.failover.totalMs !== undefined
      ? ` in ${seconds(result.failover.totalMs)}`
      : "";
  return `${word}: ${shortOutcome[result.observed.outcome]}${handoff}${failover}`;
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

/** amc certify --testdriver: the files the claims were read from, each with its digest; "" for a profile alone. */
export function sourcesLine(claims: CertificationClaims): string {
  const sources = claims.profile.sources ?? [];
  if (sources.length === 0) return "";
  const kind = { profile: "amc profile", "test-driver": "upstream test-driver file" } as const;
  return `Claims read from ${sources.map((s) => `\`${s.file}\` (${kind[s.kind]}, SHA-256 \`${s.sha256}\`)`).join(", ")}.`;
}

/** One evidence line of a claim: the scenario, what it showed, and whether that agrees. */
export function claimEvidenceText(e: ClaimEvidence): string {
  const event = e.decidedBy ? ` [${e.decidedBy.source} ${e.decidedBy.reason}: ${e.decidedBy.message}]` : "";
  return `${caseName(e)} ${e.judgement} (${e.verdict ?? "not run"}): ${e.why}${event}`;
}

function claimsSection(claims: CertificationClaims): string[] {
  return [
    "## Claims",
    "",
    `Profile ${profileLine(claims)}: ${claimCountsLine(claims)}.`,
    "",
    ...(sourcesLine(claims) ? [sourcesLine(claims), ""] : []),
    ...(claims.profile.warnings
      ? [
          "Warnings about the test-driver files (keys amc does not know are ignored by upstream too):",
          "",
          ...claims.profile.warnings.map((w) => `- ${w}`),
          "",
        ]
      : []),
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
  // The control plane's results are listed in their own section.
  const results = cert.results.filter((r) => (r.verdict ?? "not-run") === verdict && !aboutControlPlane(r));
  if (results.length === 0) return [];
  return [`## ${heading}`, "", ...results.map((r) => `- \`${caseName(r)}\`: ${r.reason}`), ""];
}

/** A fence for a code block that no line of `lines` can close. */
function fenceFor(lines: readonly string[]): string {
  const longest = Math.max(0, ...lines.flatMap((l) => (l.match(/`+/g) ?? []).map((run) => run.length)));
  return "`".repeat(Math.max(3, longest + 1));
}

/** One node-failure result in full: the fault, the total, the verdicts, the timeline, the parameters, the notes. */
function failoverDetails(cert: Certification, r: CertificationResult): string[] {
  const f = r.failover;
  if (!f || f.phases.length === 0) return [];
  const fencingLines = f.fencing.lines ?? [];
  const fence = fenceFor(fencingLines);
  return [
    `#### \`${r.storageClass}\`: ${r.scenario}, ${faultModeWords[f.mode]}`,
    "",
    `${pathWords[f.path][0]?.toUpperCase()}${pathWords[f.path].slice(1)}. ${verdictWord[r.verdict ?? "not-run"]}: ${escapeCell(r.reason)}`,
    "",
    `- Node \`${f.node}\` failed: ${faultText(f)}`,
    ...(f.replacementNode ? [`- The replacement ran on \`${f.replacementNode}\``] : []),
    `- ${recoveryWords(cert).replace(/^n/, "N")}: **${totalText(f)}**${f.recovered ? ` (the path's budget: ${sinceFault(f.budgetMs)} s from its start)` : " (the path's budget, from its start)"}`,
    `- Data: ${dataWord[f.data.status]}: ${f.data.detail}`,
    `- Fencing: ${fencingWord[f.fencing.status]}: ${f.fencing.detail}`,
    "",
    "| phase | since the fault (s) | source | detail |",
    "|---|---:|---|---|",
    ...f.phases.map(
      (p) =>
        `| ${p.id} | ${sinceFault(p.sinceFaultMs)} | ${p.source} | ${escapeCell(p.detail.replaceAll("{node}", f.node))} |`,
    ),
    "",
    ...(fencingLines.length > 0
      ? [
          "The old writer's lines after the replacement's first write, among the replacement's (pod, node, sequence, time):",
          "",
          fence,
          ...fencingLines,
          fence,
          "",
        ]
      : []),
    ...(Object.keys(f.parameters).length > 0
      ? ["Parameters:", "", ...parameterLines(f).map((line) => `- ${line}`), ""]
      : []),
    ...(f.notes.length > 0 ? ["Notes:", "", ...f.notes.map((note) => `- ${note}`), ""] : []),
  ];
}

/**
 * The node-failure section: a matrix (a row per scenario and fault mode, a
 * column per class), then class by class a table of its results and each
 * timeline in full.
 */
function failoverSection(cert: Certification): string[] {
  const results = failoverResults(cert);
  if (results.length === 0) return [];
  const rows = failoverRows(cert);
  const classes = cert.storageClasses;
  const resultAt = (scenario: string, storageClass: string, faultMode: string | undefined) =>
    results.find(
      (r) => r.scenario === scenario && r.storageClass === storageClass && r.faultMode === faultMode,
    );
  const recovery = recoveryWords(cert);
  return [
    "## Node failure",
    "",
    `A node fails (its fault mode: the kubelet stopped, or the node powered off) under a workload writing to a ReadWriteOnce volume; on each path the operator does nothing, force-deletes the old pod, or taints the node out of service. Times are seconds since the fault, at the cluster's own record of each phase (event, condition, taint, object) where it has one, else when the suite saw or did it. ${recovery.replace(/^n/, "N")}: from the fault to the replacement's ${cert.cluster.fidelity === "full" ? "first write on the volume" : "running on another node"}.`,
    "",
    `| scenario (fault mode) | ${classes.map((c) => `\`${c.name}\` (${c.family})`).join(" | ")} |`,
    `|---|${classes.map(() => "---").join("|")}|`,
    ...rows.map((row) => {
      const cells = classes.map((c) => {
        const result = resultAt(row.scenario, c.name, row.faultMode);
        return result ? escapeCell(cellText(result)) : "";
      });
      return `| ${scenarioLabel(row.scenario, row.faultMode)} | ${cells.join(" | ")} |`;
    }),
    "",
    ...classes.flatMap((c) => {
      const own = results.filter((r) => r.storageClass === c.name);
      if (own.length === 0) return [];
      return [
        `### \`${c.name}\` (${c.family})`,
        "",
        `| scenario | fault mode | verdict | ${recovery} | data | fencing |`,
        "|---|---|---|---|---|---|",
        ...own.map((r) => {
          const f = r.failover;
          const mode = r.faultMode ? faultModeWords[r.faultMode] : "-";
          const verdict = verdictWord[r.verdict ?? "not-run"];
          if (!f || f.phases.length === 0) {
            return `| ${r.scenario} | ${mode} | ${verdict} | ${escapeCell(r.reason)} | - | - |`;
          }
          return `| ${r.scenario} | ${mode} | ${verdict} | ${totalText(f)} | ${dataWord[f.data.status]} | ${fencingWord[f.fencing.status]} |`;
        }),
        "",
        ...own.flatMap((r) => failoverDetails(cert, r)),
      ];
    }),
  ];
}

/** The results about the cluster's control plane, apart from the storage's. */
function controlPlaneSection(cert: Certification): string[] {
  const results = cert.results.filter((r) => aboutControlPlane(r));
  if (results.length === 0) return [];
  return [
    "## The cluster's control plane",
    "",
    `What these scenarios test is Kubernetes itself (${cert.cluster.kubernetesVersion} here), not the storage: a finding here is about the cluster, whichever class it ran on, and is no verdict on that class.`,
    "",
    ...results.map(
      (r) => `- \`${caseName(r)}\`: ${verdictWord[r.verdict ?? "not-run"]}: ${escapeCell(r.reason)}`,
    ),
    "",
  ];
}

/** The workloads family: each stalled rollout in a sentence with its remedy, and the completed ones' durations. */
function rolloutSection(cert: Certification): string[] {
  const stalled = stalledRolloutSentences(cert.results);
  const durations = rolloutDurations(cert.results);
  if (stalled.length === 0 && durations.length === 0) return [];
  const ms = (value: number | undefined) => (value !== undefined ? `${value} ms` : "-");
  return [
    "## Rollouts",
    "",
    ...stalled.map((s) => `- ${s}`),
    ...(stalled.length > 0 ? [""] : []),
    ...(durations.length > 0
      ? [
          "Completed rollouts: the old pod's deletion to the new pod admitted, the workload's downtime (detach: the old pod's deletion to its attachment gone; attach: to the new one attached).",
          "",
          "| scenario | class | rollout | detach | attach |",
          "|---|---|---|---|---|",
          ...durations.map(
            (d) =>
              `| ${d.scenario} | \`${d.storageClass}\` | ${d.rolloutMs !== undefined ? seconds(d.rolloutMs) : "none: the new pod ran before the old one was deleted"} | ${ms(d.detachMs)} | ${ms(d.attachMs)} |`,
          ),
          "",
        ]
      : []),
  ];
}

export function renderMarkdown(cert: Certification, digest?: string): string {
  // The node-failure scenarios have one result per fault mode: their matrix is their own section's.
  // The control plane's own scenarios are not about the storage: their section is theirs too.
  const groups = matrixGroups(
    cert.scenarios.filter((s) => !isFailoverScenario(s.id) && !aboutControlPlane(s)),
  );
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
    ...(groups.length > 0
      ? groups.flatMap((group, index) => {
          const ids = group.scenarios.map((s) => s.id);
          return [
            ...(index > 0 ? [""] : []),
            ...(groups.length > 1 ? [`### ${group.title}`, ""] : []),
            `| class | ${ids.join(" | ")} |`,
            `|---|${ids.map(() => "---").join("|")}|`,
            ...cert.storageClasses.map((c) => {
              const cells = ids.map((id) => {
                const result = resultOf(id, c.name);
                return result ? escapeCell(cellText(result)) : "";
              });
              return `| \`${c.name}\` (${c.family}) | ${cells.join(" | ")} |`;
            }),
          ];
        })
      : ["Only node-failure scenarios were planned: their matrix is under [Node failure](#node-failure)."]),
    "",
    "## Findings",
    "",
    ...(cert.summary.findings.length > 0 ? cert.summary.findings.map((f) => `- ${f}`) : ["None."]),
    "",
    ...controlPlaneSection(cert),
    ...listOf(cert, "deviates", "Deviations"),
    ...listOf(cert, "inconclusive", "Inconclusive"),
    ...listOf(cert, "not-applicable", "Not applicable"),
    ...listOf(cert, "not-run", "Not run"),
    "## Handoff times",
    "",
    ...(cert.summary.handoffs.length > 0
      ? [
          "Holder deleted to volume attached on the other node (detach: holder deleted to old attachment gone; attach: to the new one attached).",
          "",
          "| case | handoff | detach | attach |",
          "|---|---|---|---|",
          ...cert.summary.handoffs.map(
            (h) =>
              `| \`${handoffName(h)}\` | ${seconds(h.handoffMs)} | ${h.detachMs !== undefined ? `${h.detachMs} ms` : "-"} | ${h.attachMs !== undefined ? `${h.attachMs} ms` : "-"} |`,
          ),
        ]
      : ["None measured (no attachable class, or no handoff ran)."]),
    "",
    ...rolloutSection(cert),
    ...failoverSection(cert),
  ];
  return lines.join("\n");
}
