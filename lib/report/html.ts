import {
  type AccessMode,
  type FailoverPhase,
  type FailoverRecord,
  shortAccessMode,
  type Verdict,
} from "../scenario/types.ts";
import {
  aboutControlPlane,
  caseKey,
  caseName,
  faultModeWords,
  handoffName,
  isFailoverScenario,
  matrixGroups,
  pathWords,
  scenarioLabel,
} from "./cases.ts";
import type { Certification, CertificationClaims, CertificationResult } from "./document.ts";
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
import {
  cellText,
  claimCountsLine,
  claimEvidenceText,
  claimWord,
  clusterLine,
  countsLine,
  seconds,
  shortOutcome,
  sourcesLine,
  verdictWord,
} from "./markdown.ts";
import { rolloutDurations, stalledRolloutSentences } from "./rollouts.ts";

/**
 * certification.html: one self-contained file (inline style and script, no
 * network, no external assets). The matrix is coloured by verdict; each cell
 * opens its evidence (events with their times, object states, manifests as
 * applied); the timings are drawn as small bar charts, and each node-failure
 * timeline as a chart of its phases on one axis of seconds since the fault.
 */

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const h = escapeHtml;

const style = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
body { margin: 0 auto; max-width: 1280px; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 10px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
.subtitle { color: #57606a; margin: 0 0 16px; }
.banner { border-left: 4px solid #bf8700; background: #fff8c5; padding: 10px 14px; border-radius: 6px; margin: 12px 0; }
.banner.status { border-color: #cf222e; background: #ffebe9; }
.chips { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.chip { padding: 3px 10px; border-radius: 999px; font-weight: 600; font-size: .9rem; }
table { border-collapse: collapse; }
.matrix { width: 100%; table-layout: fixed; }
.matrix th, .matrix td { border: 1px solid #d0d7de; padding: 0; text-align: center; vertical-align: middle; }
.matrix thead th { background: #f6f8fa; padding: 6px 4px; font-size: .85rem; overflow-wrap: break-word; }
.matrix-group { margin: 0 0 18px; }
.matrix tbody th { text-align: left; padding: 8px 10px; width: 14rem; font-weight: 600; }
.matrix tbody th small { font-weight: 400; color: #57606a; }
.cell button { all: unset; box-sizing: border-box; display: block; width: 100%; min-height: 64px; padding: 8px 4px; cursor: pointer; font-weight: 600; font-size: .85rem; }
.cell button small { display: block; font-weight: 400; margin-top: 2px; }
.cell button:focus-visible { outline: 3px solid #0969da; outline-offset: -3px; }
.v-conforms { background: #dafbe1; color: #116329; }
.v-finding { background: #fff1cc; color: #7d4e00; }
.v-deviates { background: #ffebe9; color: #a40e26; }
.v-inconclusive { background: #fbefff; color: #6e40c9; }
.v-not-applicable { background: #f6f8fa; color: #57606a; }
.v-not-run { background: repeating-linear-gradient(45deg, #fff, #fff 6px, #f6f8fa 6px, #f6f8fa 12px); color: #57606a; }
.legend { display: flex; flex-wrap: wrap; gap: 8px; font-size: .85rem; margin-top: 8px; }
.legend span { padding: 2px 8px; border-radius: 4px; }
.plain th, .plain td { border: 1px solid #d0d7de; padding: 6px 8px; text-align: left; vertical-align: top; font-size: .9rem; }
.plain thead th { background: #f6f8fa; }
dialog { width: min(1100px, 94vw); max-height: 88vh; border: 1px solid #d0d7de; border-radius: 10px; padding: 0; }
dialog::backdrop { background: rgb(31 35 40 / .45); }
dialog header { position: sticky; top: 0; display: flex; justify-content: space-between; align-items: center; gap: 12px; padding: 12px 16px; border-bottom: 1px solid #d0d7de; }
dialog header h3 { margin: 0; font-size: 1.05rem; }
dialog .content { padding: 4px 16px 16px; overflow-x: auto; }
dialog .content table { width: 100%; }
.events td:last-child { width: 40%; }
dialog .content h4 { margin: 16px 0 6px; }
dialog pre { background: #f6f8fa; padding: 8px; border-radius: 6px; overflow: auto; font-size: .8rem; }
dialog .verdict { padding: 8px 12px; border-radius: 6px; }
.close { font: inherit; padding: 4px 12px; border: 1px solid #d0d7de; border-radius: 6px; background: #f6f8fa; cursor: pointer; }
.chart text { font-size: 11px; fill: #1f2328; }
.chart .bar { fill: #0969da; }
.chart .bar.handoff { fill: #8250df; }
.muted { color: #57606a; }
.c-held { background: #dafbe1; color: #116329; }
.c-broken { background: #ffebe9; color: #a40e26; }
.c-not-checked { background: #f6f8fa; color: #57606a; }
.claims td.status { font-weight: 600; white-space: nowrap; }
.claims details summary { cursor: pointer; }
.claims ul { margin: 4px 0; padding-left: 18px; }
.failover-matrix tbody th { width: 18rem; }
figure.failover { margin: 14px 0 22px; padding: 10px 14px; border: 1px solid #d0d7de; border-radius: 8px; }
figure.failover figcaption { font-weight: 600; margin-bottom: 6px; }
figure.failover .verdict { padding: 6px 10px; border-radius: 6px; margin: 4px 0 8px; }
figure.failover ul.failover-verdicts { margin: 4px 0 8px; padding-left: 18px; }
figure.failover pre { background: #f6f8fa; padding: 8px; border-radius: 6px; overflow: auto; font-size: .8rem; }
.timeline text { font-size: 11px; fill: #1f2328; }
.timeline text.tick { fill: #57606a; }
.timeline .grid { stroke: #eaeef2; }
.timeline .track { stroke: #d0d7de; stroke-dasharray: 2 3; }
.timeline .step { fill: #d0d7de; }
.timeline .total { stroke: #1a7f37; stroke-width: 2; stroke-dasharray: 6 3; opacity: .6; }
.timeline .phase, .timeline-legend .phase { stroke: #fff; stroke-width: 1.5; }
.src-event { fill: #0969da; background: #0969da; }
.src-condition { fill: #bf8700; background: #bf8700; }
.src-taint { fill: #bc4c00; background: #bc4c00; }
.src-object { fill: #1a7f37; background: #1a7f37; }
.src-suite { fill: #57606a; background: #57606a; }
.src-volume { fill: #8250df; background: #8250df; }
.timeline-legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: .85rem; margin: 6px 0 10px; }
.timeline-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; vertical-align: middle; }
`;

const script = `
const dialog = document.getElementById("evidence");
const body = dialog.querySelector(".content");
const title = dialog.querySelector("h3");
for (const button of document.querySelectorAll(".cell button")) {
  button.addEventListener("click", () => {
    const template = document.getElementById(button.dataset.details);
    title.textContent = button.dataset.title;
    body.replaceChildren(template.content.cloneNode(true));
    dialog.showModal();
  });
}
dialog.querySelector(".close").addEventListener("click", () => dialog.close());
dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
`;

function verdictClass(result: CertificationResult): string {
  return `v-${result.verdict ?? "not-run"}`;
}

function details(result: CertificationResult, index: number): string {
  const events = result.evidence?.events ?? [];
  const objects = result.evidence?.objects ?? [];
  const manifests = Object.entries(result.evidence?.manifests ?? {});
  const timing = result.timings;
  const rows: string[] = [
    `<p class="verdict ${verdictClass(result)}"><strong>${h(verdictWord[result.verdict ?? "not-run"])}</strong>: ${h(result.reason)}</p>`,
    `<p class="muted">${h(result.title)}</p>`,
    ...(result.expected
      ? [`<h4>Expected</h4><p>${h(shortOutcome[result.expected.outcome])}: ${h(result.expected.because)}</p>`]
      : []),
    ...(result.observed
      ? [`<h4>Observed</h4><p>${h(shortOutcome[result.observed.outcome])}: ${h(result.observed.summary)}</p>`]
      : []),
    ...(result.nodes ? [`<h4>Nodes</h4><p>${h(result.nodes.reason)}</p>`] : []),
    ...(result.checks.length > 0
      ? [
          `<h4>Kubelet-level checks</h4><table class="plain"><tbody>${result.checks
            .map((c) => `<tr><td>${h(c.title)}</td><td>${h(c.status)}</td><td>${h(c.detail)}</td></tr>`)
            .join("")}</tbody></table>`,
        ]
      : []),
    ...(timing
      ? [
          `<h4>Timings</h4><p>${[
            timing.decisionMs !== undefined ? `decision ${timing.decisionMs} ms after pod B's creation` : "",
            timing.detectionGapMs !== undefined
              ? `seen ${timing.detectionGapMs} ms after the control plane emitted it (clock precision ${timing.detectionGapPrecision})`
              : "",
            timing.handoffMs !== undefined ? `handoff ${seconds(timing.handoffMs)}` : "",
          ]
            .filter(Boolean)
            .map(h)
            .join("; ")}</p>`,
        ]
      : []),
    ...(events.length > 0
      ? [
          `<h4>Events (${events.length})</h4><table class="plain events"><thead><tr><th>emitted</th><th>seen</th><th>object</th><th>reason</th><th>source</th><th>message</th></tr></thead><tbody>${events
            .map(
              (e) =>
                `<tr><td><code>${h(e.emittedAt ?? "")}</code></td><td><code>${h(e.receivedAt)}</code></td><td>${h(`${e.involvedObject.kind}/${e.involvedObject.name}`)}</td><td>${h(`${e.type} ${e.reason}`)}</td><td>${h(e.source)}</td><td>${h(e.message)}</td></tr>`,
            )
            .join("")}</tbody></table>`,
        ]
      : []),
    ...(objects.length > 0
      ? [
          `<h4>Object states</h4><table class="plain"><tbody>${objects
            .map(
              (o) =>
                `<tr><td><code>${h(o.at)}</code></td><td>${h(`${o.kind} ${o.name}`)}</td><td>${h(o.state)}</td></tr>`,
            )
            .join("")}</tbody></table>`,
        ]
      : []),
    ...(result.failover ? [failoverDialog(result.failover)] : []),
    ...manifests.map(([name, yaml]) => `<h4>Manifest ${h(name)}</h4><pre>${h(yaml)}</pre>`),
    ...(result.cleanupNotes ?? []).map((note) => `<p class="muted">${h(note)}</p>`),
  ];
  return `<template id="details-${index}">${rows.join("\n")}</template>`;
}

/** A node-failure result's timeline and verdicts, in a cell's evidence. */
function failoverDialog(f: FailoverRecord): string {
  const rows = f.phases
    .map(
      (p) =>
        `<tr><td>${h(p.id)}</td><td>${h(sinceFault(p.sinceFaultMs))} s</td><td>${h(p.source)}</td><td><code>${h(p.at)}</code></td><td>${h(p.detail.replaceAll("{node}", f.node))}</td></tr>`,
    )
    .join("");
  return [
    `<h4>Node failure: ${h(faultModeWords[f.mode])}, ${h(pathWords[f.path])}</h4>`,
    `<p>${h(`${f.node}: ${faultText(f)}`)}. Total: ${h(totalText(f))}. Data: ${h(`${dataWord[f.data.status]}: ${f.data.detail}`)}. Fencing: ${h(`${fencingWord[f.fencing.status]}: ${f.fencing.detail}`)}</p>`,
    ...(rows
      ? [
          `<table class="plain"><thead><tr><th>phase</th><th>since the fault</th><th>source</th><th>at</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`,
        ]
      : []),
  ].join("\n");
}

/** Axis steps for a timeline, in seconds: the first that keeps it to at most eight ticks. */
const tickSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * A failover's phases on one axis of seconds since the fault, as inline SVG:
 * a row per phase with its marker (coloured by where its time comes from),
 * a grey bar from the phase before it (where the time went), and a dashed
 * line where the workload wrote elsewhere.
 */
export function timelineChart(f: FailoverRecord, title: string): string {
  const phases: FailoverPhase[] = f.phases;
  if (phases.length === 0) return "";
  const width = 900;
  const labelWidth = 190;
  const right = 70;
  const top = 22;
  const rowHeight = 20;
  const plot = width - labelWidth - right;
  const lastMs = Math.max(...phases.map((p) => p.sinceFaultMs), f.totalMs ?? 0, 1000);
  const step = (tickSteps.find((s) => lastMs / (s * 1000) <= 8) ?? 3600) * 1000;
  const axisMs = Math.ceil(lastMs / step) * step;
  const x = (ms: number) => labelWidth + (plot * ms) / axisMs;
  const height = top + phases.length * rowHeight + 8;
  const ticks: string[] = [];
  for (let ms = 0; ms <= axisMs; ms += step) {
    ticks.push(
      `<line class="grid" x1="${x(ms).toFixed(1)}" y1="${top - 4}" x2="${x(ms).toFixed(1)}" y2="${height - 4}"/><text class="tick" x="${x(ms).toFixed(1)}" y="${top - 8}" text-anchor="middle">${ms / 1000} s</text>`,
    );
  }
  const rows = phases.map((p, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    const before = i === 0 ? 0 : (phases[i - 1] as FailoverPhase).sinceFaultMs;
    const from = x(Math.min(before, p.sinceFaultMs));
    const to = x(p.sinceFaultMs);
    const detail = p.detail.replaceAll("{node}", f.node);
    const tip = `${p.id} at ${sinceFault(p.sinceFaultMs)} s (${p.source}): ${detail}`;
    return [
      `<text x="${labelWidth - 8}" y="${y + 4}" text-anchor="end">${h(p.id)}</text>`,
      `<line class="track" x1="${labelWidth}" y1="${y}" x2="${width - right}" y2="${y}"/>`,
      `<rect class="step" x="${from.toFixed(1)}" y="${y - 3}" width="${Math.max(1, to - from).toFixed(1)}" height="6" rx="2"/>`,
      `<circle class="phase src-${h(p.source)}" data-phase="${h(p.id)}" data-ms="${p.sinceFaultMs}" cx="${to.toFixed(1)}" cy="${y}" r="5"><title>${h(tip)}</title></circle>`,
      `<text x="${(to + 9).toFixed(1)}" y="${y + 4}">${h(sinceFault(p.sinceFaultMs))} s</text>`,
    ].join("");
  });
  const total =
    f.recovered && f.totalMs !== undefined
      ? `<line class="total" x1="${x(f.totalMs).toFixed(1)}" y1="${top - 4}" x2="${x(f.totalMs).toFixed(1)}" y2="${height - 4}"><title>${h(`writing elsewhere ${sinceFault(f.totalMs)} s after the fault`)}</title></line>`
      : "";
  return `<svg class="timeline" role="img" aria-label="${h(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${ticks.join("")}${total}${rows.join("")}</svg>`;
}

const phaseSources: FailoverPhase["source"][] = ["event", "condition", "taint", "object", "volume", "suite"];
const sourceWords: Record<FailoverPhase["source"], string> = {
  event: "an event's emission",
  condition: "a node condition's transition",
  taint: "a taint's timeAdded",
  object: "an object's creation or deletion",
  volume: "the volume's log",
  suite: "what the suite did or saw",
};

/** One node-failure result that injected its fault: its verdicts, its timeline chart, its parameters. */
function failoverFigure(cert: Certification, r: CertificationResult): string {
  const f = r.failover;
  if (!f || f.phases.length === 0) return "";
  const title = `${r.storageClass}: ${scenarioLabel(r.scenario, f.mode)}`;
  const lines = f.fencing.lines ?? [];
  const parameters = parameterLines(f);
  return `<figure class="failover" data-scenario="${h(r.scenario)}" data-class="${h(r.storageClass)}" data-mode="${h(f.mode)}">
<figcaption><code>${h(r.storageClass)}</code>: ${h(r.scenario)}, ${h(faultModeWords[f.mode])}: ${h(pathWords[f.path])}</figcaption>
<p class="verdict ${verdictClass(r)}"><strong>${h(verdictWord[r.verdict ?? "not-run"])}</strong>: ${h(r.reason)}</p>
<ul class="failover-verdicts">
<li>${h(`node ${f.node} failed: ${faultText(f)}`)}${f.replacementNode ? `; the replacement ran on <code>${h(f.replacementNode)}</code>` : ""}</li>
<li class="total" data-recovered="${f.recovered}">${h(recoveryWords(cert))}: <strong>${h(totalText(f))}</strong></li>
<li class="data" data-status="${h(f.data.status)}">data: <strong>${h(dataWord[f.data.status])}</strong>: ${h(f.data.detail)}</li>
<li class="fencing" data-status="${h(f.fencing.status)}">fencing: <strong>${h(fencingWord[f.fencing.status])}</strong>: ${h(f.fencing.detail)}</li>
</ul>
${timelineChart(f, `${title}: the phases in seconds since the fault`)}
${lines.length > 0 ? `<p class="muted">The old writer's lines after the replacement's first write, among the replacement's (pod, node, sequence, time):</p><pre class="fencing-lines">${h(lines.join("\n"))}</pre>` : ""}
${f.notes.map((note) => `<p class="muted note">Note: ${h(note)}</p>`).join("")}
${parameters.length > 0 ? `<details class="parameters"><summary>Parameters the timeline depends on</summary><ul>${parameters.map((line) => `<li>${h(line)}</li>`).join("")}</ul></details>` : ""}
</figure>`;
}

/** The node-failure section: a matrix of scenario and fault mode by class, then every timeline, class by class. */
function failoverSection(cert: Certification, indexOf: ReadonlyMap<string, number>): string {
  const results = failoverResults(cert);
  if (results.length === 0) return "";
  const classes = cert.storageClasses;
  const header = `<tr><th scope="col">Scenario (fault mode)</th>${classes.map((c) => `<th scope="col"><code>${h(c.name)}</code><br><small>${h(c.family)}</small></th>`).join("")}</tr>`;
  const rows = failoverRows(cert)
    .map((row) => {
      const cells = classes
        .map((c) => {
          const key = caseKey({ scenario: row.scenario, storageClass: c.name, faultMode: row.faultMode });
          const index = indexOf.get(key);
          const result = index === undefined ? undefined : cert.results[index];
          return result && index !== undefined ? matrixCell(result, index) : "<td></td>";
        })
        .join("");
      return `<tr><th scope="row" title="${h(row.title)}">${h(scenarioLabel(row.scenario, row.faultMode))}</th>${cells}</tr>`;
    })
    .join("\n");
  const perClass = classes
    .map((c) => {
      const own = results.filter((r) => r.storageClass === c.name);
      if (own.length === 0) return "";
      const summary = own
        .map((r) => {
          const f = r.failover;
          const ran = f && f.phases.length > 0;
          return `<tr><td>${h(r.scenario)}</td><td>${h(r.faultMode ? faultModeWords[r.faultMode] : "-")}</td><td class="${verdictClass(r)}">${h(verdictWord[r.verdict ?? "not-run"])}</td><td>${h(ran ? totalText(f) : r.reason)}</td><td>${h(ran ? dataWord[f.data.status] : "-")}</td><td>${h(ran ? fencingWord[f.fencing.status] : "-")}</td></tr>`;
        })
        .join("");
      return `<h3><code>${h(c.name)}</code> <small class="muted">${h(c.family)}</small></h3>
<table class="plain failover-summary"><thead><tr><th>scenario</th><th>fault mode</th><th>verdict</th><th>${h(recoveryWords(cert))}</th><th>data</th><th>fencing</th></tr></thead><tbody>${summary}</tbody></table>
${own.map((r) => failoverFigure(cert, r)).join("\n")}`;
    })
    .join("\n");
  return `<h2 id="node-failure">Node failure</h2>
<p>A node fails under a workload writing to a ReadWriteOnce volume; on each path the operator does nothing, force-deletes the old pod, or taints the node out of service. Times are seconds since the fault, at the cluster's own record of each phase where it has one. ${h(recoveryWords(cert).replace(/^n/, "N"))}: from the fault to the replacement's ${cert.cluster.fidelity === "full" ? "first write on the volume" : "running on another node"}.</p>
<table class="matrix failover-matrix"><thead>${header}</thead><tbody>
${rows}
</tbody></table>
<div class="timeline-legend" aria-label="where each phase's time comes from">${phaseSources.map((source) => `<span><i class="src-${source}"></i>${h(sourceWords[source])}</span>`).join("")}</div>
${perClass}`;
}

/** A matrix cell: the verdict, coloured, a button that opens the result's evidence. */
function matrixCell(result: CertificationResult, index: number): string {
  const [word, ...rest] = cellText(result).split(": ");
  return `<td class="cell ${verdictClass(result)}" data-verdict="${result.verdict ?? "not-run"}" data-scenario="${h(result.scenario)}" data-class="${h(result.storageClass)}"${result.faultMode ? ` data-mode="${h(result.faultMode)}"` : ""}><button type="button" data-details="details-${index}" data-title="${h(caseName(result))}">${h(word ?? "")}${rest.length > 0 ? `<small>${h(rest.join(": "))}</small>` : ""}</button></td>`;
}

/** A horizontal bar chart as inline SVG: one bar per labelled value. */
function barChart(
  title: string,
  bars: { label: string; value: number; text: string }[],
  kind: string,
): string {
  if (bars.length === 0) return "";
  const width = 760;
  const labelWidth = 280;
  const rowHeight = 18;
  const max = Math.max(...bars.map((b) => b.value)) || 1;
  const height = bars.length * rowHeight + 8;
  const rows = bars
    .map((bar, i) => {
      const y = i * rowHeight + 4;
      const length = Math.max(2, ((width - labelWidth - 90) * bar.value) / max);
      return `<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${h(bar.label)}</text><rect class="bar ${kind}" x="${labelWidth}" y="${y + 2}" width="${length.toFixed(1)}" height="${rowHeight - 6}" rx="2"><title>${h(`${bar.label}: ${bar.text}`)}</title></rect><text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 12}">${h(bar.text)}</text>`;
    })
    .join("");
  return `<figure><figcaption>${h(title)}</figcaption><svg class="chart ${kind}" role="img" aria-label="${h(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rows}</svg></figure>`;
}

/** The vendor profile's claims: one row each, coloured by status, its evidence one click away. */
function claimsSection(claims: CertificationClaims): string {
  const { driver } = claims.profile;
  const rows = claims.results
    .map(
      (c) =>
        `<tr data-claim="${h(c.id)}" data-status="${c.status}"><td><code>${h(c.storageClass)}</code></td><td>${h(c.claim)}</td><td class="status c-${c.status}">${h(claimWord[c.status])}</td><td><details><summary>${h(c.reason)}</summary><p class="muted">decided by ${h([...c.decidedBy.scenarios, ...c.decidedBy.fields].join(", "))}</p>${c.evidence.length > 0 ? `<ul>${c.evidence.map((e) => `<li>${h(claimEvidenceText(e))}</li>`).join("")}</ul>` : ""}</details></td></tr>`,
    )
    .join("\n");
  return `<h2>Claims</h2>
<p>Profile <code>${h(claims.profile.file)}</code>: ${h([driver.name, driver.version, driver.vendor ? `by ${driver.vendor}` : ""].filter(Boolean).join(" "))}, SHA-256 <code>${h(claims.profile.sha256)}</code>. ${h(claimCountsLine(claims))}.</p>${sourcesLine(claims) ? `\n<p>${h(sourcesLine(claims).replaceAll("`", ""))}</p>` : ""}${claims.profile.warnings ? `\n<details class="warnings"><summary>${claims.profile.warnings.length} warning(s) about the test-driver files (keys amc does not know are ignored by upstream too)</summary><ul>${claims.profile.warnings.map((w) => `<li>${h(w)}</li>`).join("")}</ul></details>` : ""}
<table class="plain claims"><thead><tr><th>class</th><th>claim</th><th>status</th><th>why (select for the evidence)</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** The results about the cluster's control plane, apart from the storage's. */
function controlPlaneSection(cert: Certification): string {
  const results = cert.results.filter((r) => aboutControlPlane(r));
  if (results.length === 0) return "";
  const items = results
    .map(
      (r) =>
        `<li><code>${h(caseName(r))}</code>: <span class="v-${r.verdict ?? "not-run"}">${h(verdictWord[r.verdict ?? "not-run"])}</span>: ${h(r.reason)}</li>`,
    )
    .join("");
  return `<h2>The cluster's control plane</h2>
<p>What these scenarios test is Kubernetes itself (${h(cert.cluster.kubernetesVersion)} here), not the storage: a finding here is about the cluster, whichever class it ran on, and is no verdict on that class.</p>
<ul class="control-plane">${items}</ul>`;
}

/** The workloads family: each stalled rollout in a sentence with its remedy, and the completed ones' durations. */
function rolloutSection(cert: Certification): string {
  const stalled = stalledRolloutSentences(cert.results);
  const durations = rolloutDurations(cert.results);
  if (stalled.length === 0 && durations.length === 0) return "";
  const ms = (value: number | undefined) => (value !== undefined ? `${value} ms` : "-");
  const code = (text: string) => h(text).replace(/`([^`]+)`/g, "<code>$1</code>");
  const rows = durations
    .map(
      (d) =>
        `<tr><td>${h(d.scenario)}</td><td><code>${h(d.storageClass)}</code></td><td>${d.rolloutMs !== undefined ? h(seconds(d.rolloutMs)) : "none: the new pod ran before the old one was deleted"}</td><td>${h(ms(d.detachMs))}</td><td>${h(ms(d.attachMs))}</td></tr>`,
    )
    .join("\n");
  return `<h2>Rollouts</h2>
${stalled.length > 0 ? `<ul class="rollouts">${stalled.map((s) => `<li>${code(s)}</li>`).join("")}</ul>` : ""}
${
  durations.length > 0
    ? `<p class="muted">Completed rollouts: the old pod's deletion to the new pod admitted, the workload's downtime (detach: the old pod's deletion to its attachment gone; attach: to the new one attached).</p>
<table class="plain"><thead><tr><th>scenario</th><th>class</th><th>rollout</th><th>detach</th><th>attach</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : ""
}`;
}

export function renderHtml(cert: Certification, digest?: string): string {
  // The node-failure scenarios have one result per fault mode: their matrix is their own section's.
  // The control plane's own scenarios are not about the storage: they have a section of their own.
  const groups = matrixGroups(
    cert.scenarios.filter((s) => !isFailoverScenario(s.id) && !aboutControlPlane(s)),
  );
  const indexOf = new Map(cert.results.map((r, i) => [caseKey(r), i]));
  const table = (scenarios: (typeof groups)[number]["scenarios"]) => {
    // The access modes over the columns, one span per run of scenarios of the same mode.
    const spans: { modes: readonly AccessMode[]; span: number }[] = [];
    for (const s of scenarios) {
      const modes = s.accessModes ?? [s.accessMode];
      const last = spans.at(-1);
      if (last && last.modes.join() === modes.join()) last.span++;
      else spans.push({ modes, span: 1 });
    }
    // Over a single column of a wide table the short name (RWX) fits; the full one is its title.
    const modeName = (g: (typeof spans)[number]) => {
      const full = g.modes.join(" + ");
      return g.span === 1 && scenarios.length > 6 ? g.modes.map((m) => shortAccessMode[m]).join("+") : full;
    };
    const header = `<tr><th rowspan="2" scope="col">Storage class</th>${spans
      .map(
        (g) =>
          `<th colspan="${g.span}" scope="colgroup" title="${h(g.modes.join(" + "))}">${h(modeName(g))}</th>`,
      )
      .join(
        "",
      )}</tr><tr>${scenarios.map((s) => `<th scope="col" title="${h(s.title)}">${h(s.id)}</th>`).join("")}</tr>`;
    const rows = cert.storageClasses
      .map((c) => {
        const cells = scenarios
          .map((s) => {
            const index = indexOf.get(caseKey({ scenario: s.id, storageClass: c.name }));
            const result = index === undefined ? undefined : cert.results[index];
            if (!result || index === undefined) return "<td></td>";
            return matrixCell(result, index);
          })
          .join("");
        return `<tr><th scope="row"><code>${h(c.name)}</code><br><small>${h(c.family)} · ${h(c.provisioner)}</small></th>${cells}</tr>`;
      })
      .join("\n");
    return `<table class="matrix"><thead>${header}</thead><tbody>
${rows}
</tbody></table>`;
  };
  // One section per group: each table fits a laptop's window however many scenarios the plan has.
  const matrix =
    groups.length === 0
      ? `<p>Only node-failure scenarios were planned: their matrix is under <a href="#node-failure">Node failure</a>.</p>`
      : groups.length === 1
        ? table(groups[0]?.scenarios ?? [])
        : groups
            .map(
              (g) => `<section class="matrix-group"><h3>${h(g.title)}</h3>\n${table(g.scenarios)}</section>`,
            )
            .join("\n");
  const chips = (Object.entries(cert.summary.counts) as [Verdict | "not-run", number][])
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `<span class="chip v-${v}">${n} ${h(v)}</span>`)
    .join("");
  const decisions = cert.results
    .filter((r) => r.timings?.decisionMs !== undefined)
    .map((r) => ({
      label: caseName(r),
      value: r.timings?.decisionMs ?? 0,
      text: `${Math.round(r.timings?.decisionMs ?? 0)} ms`,
    }));
  const handoffs = cert.summary.handoffs.map((x) => ({
    label: handoffName(x),
    value: x.handoffMs,
    text: seconds(x.handoffMs),
  }));
  const statusBanner =
    cert.run.status === "complete"
      ? ""
      : `<div class="banner status" role="alert">The run was ${h(cert.run.status)}: what ran is reported; what did not is marked not run.</div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access-mode conformance: ${h(cert.cluster.provider)} cluster ${h(cert.cluster.name)}</title>
<style>${style}</style>
</head>
<body>
<h1>Access-mode conformance</h1>
<p class="subtitle">${h(clusterLine(cert).replaceAll("`", ""))}<br>run <code>${h(cert.run.id)}</code>, ${h(cert.run.startedAt)} to ${h(cert.run.finishedAt)} (${h(cert.run.status)}), ${h(cert.suite.name)} ${h(cert.suite.version)}${digest ? `<br>certification.json SHA-256 <code>${h(digest)}</code>` : ""}</p>
${cert.fidelityNote ? `<div class="banner fidelity" role="note"><strong>${h(cert.fidelityNote)}</strong></div>` : ""}
${statusBanner}
<div class="chips" aria-label="verdicts">${chips}</div>
${cert.claims ? claimsSection(cert.claims) : ""}
<h2>Matrix</h2>
${matrix}
<div class="legend">${(["conforms", "finding", "deviates", "inconclusive", "not-applicable", "not-run"] as const).map((v) => `<span class="v-${v}">${h(verdictWord[v])}</span>`).join("")}<span class="muted">Select a cell for its evidence.</span></div>
<h2>Findings</h2>
${cert.summary.findings.length > 0 ? `<ul class="findings">${cert.summary.findings.map((f) => `<li>${h(f)}</li>`).join("")}</ul>` : "<p>None.</p>"}
${controlPlaneSection(cert)}
<h2>Timings</h2>
${barChart("Time to decision, from pod B's creation", decisions, "decision")}
${barChart("Handoff: holder deleted to volume attached on the other node", handoffs, "handoff")}
${rolloutSection(cert)}
${failoverSection(cert, indexOf)}
<h2>Storage classes</h2>
<table class="plain"><thead><tr><th>class</th><th>provisioner</th><th>family</th><th>why</th><th>binding mode</th></tr></thead><tbody>
${cert.storageClasses.map((c) => `<tr><td><code>${h(c.name)}</code></td><td>${h(c.provisioner)}</td><td>${h(c.family)}</td><td>${h(c.familyReason)}</td><td>${h(c.volumeBindingMode)}</td></tr>`).join("\n")}
</tbody></table>
<p class="muted">Verdicts: ${h(countsLine(cert))}.</p>
<dialog id="evidence" aria-labelledby="evidence-title"><header><h3 id="evidence-title"></h3><button type="button" class="close">Close</button></header><div class="content"></div></dialog>
${cert.results.map((r, i) => details(r, i)).join("\n")}
<script>${script}</script>
</body>
</html>
`;
}
