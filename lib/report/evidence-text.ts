import type { EventEvidence } from "../scenario/types.ts";
import type { CertificationResult } from "./document.ts";

/** Evidence as plain text: for test failure messages, JUnit bodies and the Allure events timeline. */

export function eventLine(e: EventEvidence): string {
  return `${e.emittedAt ?? e.receivedAt} ${e.type} ${e.reason} ${e.involvedObject.kind}/${e.involvedObject.name} [${e.source}]: ${e.message}`;
}

type Explained = Pick<
  CertificationResult,
  "verdict" | "reason" | "nodes" | "expected" | "observed" | "checks" | "evidence"
>;

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
    ...(events.length > 0 ? ["events:", ...events.map((e) => `  ${eventLine(e)}`)] : []),
    ...objects.map((o) => `  state at ${o.at}: ${o.kind} ${o.name}: ${o.state}`),
  ].join("\n");
}
