import type { EventEvidence, FailoverRecord } from "../scenario/types.ts";
import type { CertificationResult } from "./document.ts";
import { dataWord, faultText, fencingWord, sinceFault, totalText } from "./failover-text.ts";

/** Evidence as plain text: for test failure messages, JUnit bodies and the Allure events timeline. */

export function eventLine(e: EventEvidence): string {
  return `${e.emittedAt ?? e.receivedAt} ${e.type} ${e.reason} ${e.involvedObject.kind}/${e.involvedObject.name} [${e.source}]: ${e.message}`;
}

type Explained = Pick<
  CertificationResult,
  "verdict" | "reason" | "nodes" | "expected" | "observed" | "checks" | "evidence" | "failover"
>;

/** A node-failure result's fault, timeline and verdicts, line by line. */
export function failoverLines(f: FailoverRecord): string[] {
  return [
    `failover (${f.mode}, path ${f.path}): ${f.node}: ${faultText(f)}`,
    ...f.phases.map(
      (p) =>
        `  +${sinceFault(p.sinceFaultMs)} s ${p.id} [${p.source}${p.detectionGapMs !== undefined ? `, seen ${p.detectionGapMs} ms later` : ""}]: ${p.detail.replaceAll("{node}", f.node)}`,
    ),
    `failover total: ${totalText(f)}`,
    `data: ${dataWord[f.data.status]}: ${f.data.detail}`,
    `fencing: ${fencingWord[f.fencing.status]}: ${f.fencing.detail}`,
    ...(f.fencing.lines ?? []).map((line) => `  ${line}`),
    ...f.notes.map((note) => `note: ${note}`),
  ];
}

/** The verdict and its reason, then what it rests on: expectation, observation, checks, events, object states. */
export function evidenceText(result: Explained): string {
  const events = result.evidence?.events ?? [];
  const objects = result.evidence?.objects ?? [];
  return [
    `${(result.verdict ?? "not-run").toUpperCase()}: ${result.reason}`,
    ...(result.nodes ? [`nodes: ${result.nodes.reason}`] : []),
    ...(result.expected ? [`expected: ${result.expected.outcome} (${result.expected.because})`] : []),
    ...(result.observed ? [`observed: ${result.observed.outcome}: ${result.observed.summary}`] : []),
    ...result.checks.map((c) => `check ${c.id}: ${c.status}: ${c.detail}`),
    ...(result.failover && result.failover.phases.length > 0 ? failoverLines(result.failover) : []),
    ...(events.length > 0 ? ["events:", ...events.map((e) => `  ${eventLine(e)}`)] : []),
    ...objects.map((o) => `  state at ${o.at}: ${o.kind} ${o.name}: ${o.state}`),
  ].join("\n");
}
