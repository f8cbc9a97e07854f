import { type NodeFaultMode, nodeFaultModes } from "../cluster/contract.ts";
import type { Check, FailoverRecord, FencingResult } from "../scenario/types.ts";
import { isFailoverScenario } from "./cases.ts";
import type { Certification, CertificationResult } from "./document.ts";

/**
 * The words of the node-failure results, shared by the Markdown, HTML and
 * terminal forms: which rows the node-failure matrix has, what the total
 * time says, and the data and fencing verdicts in a word.
 */

/** Seconds with one decimal, as every failover time is shown. */
export const sinceFault = (ms: number) => (ms / 1000).toFixed(1);

/** The two fidelities' measures of recovery: writing with real kubelets, running on simulated nodes. */
export function recoveryWords(cert: Pick<Certification, "cluster">): string {
  return cert.cluster.fidelity === "full"
    ? "node lost → workload writing elsewhere"
    : "node lost → workload running elsewhere";
}

/** "60.6 s", or why there is no time: the path's budget ran out first. */
export function totalText(f: Pick<FailoverRecord, "recovered" | "totalMs" | "budgetMs">): string {
  if (f.recovered && f.totalMs !== undefined) return `${sinceFault(f.totalMs)} s`;
  if (f.recovered) return "recovered, no time recorded";
  return `not recovered within ${sinceFault(f.budgetMs)} s`;
}

export const dataWord: Record<Check["status"], string> = {
  passed: "passed",
  failed: "FAILED",
  "not-applicable": "n/a",
  inconclusive: "INCONCLUSIVE",
};

export const fencingWord: Record<FencingResult["status"], string> = {
  fenced: "fenced",
  "not-fenced": "NOT FENCED",
  "not-applicable": "n/a",
  inconclusive: "INCONCLUSIVE",
};

/** The node-failure results. */
export function failoverResults(cert: Pick<Certification, "results">): CertificationResult[] {
  return cert.results.filter((r) => isFailoverScenario(r.scenario));
}

/** One row of the node-failure matrix: a scenario in one fault mode (none for a result without one). */
export interface FailoverRow {
  scenario: string;
  title: string;
  faultMode?: NodeFaultMode;
}

/**
 * The node-failure matrix's rows, scenario by scenario in the plan's order,
 * then mode by mode: the modes planned, and any other a result has.
 */
export function failoverRows(cert: Pick<Certification, "scenarios" | "results">): FailoverRow[] {
  const rows: FailoverRow[] = [];
  for (const scenario of cert.scenarios.filter((s) => isFailoverScenario(s.id))) {
    const results = cert.results.filter((r) => r.scenario === scenario.id);
    const seen = new Set(results.map((r) => r.faultMode));
    const modes: (NodeFaultMode | undefined)[] = [
      ...nodeFaultModes.filter((m) => scenario.faultModes?.includes(m) || seen.has(m)),
      ...(seen.has(undefined) ? [undefined] : []),
    ];
    for (const faultMode of modes) {
      rows.push({ scenario: scenario.id, title: scenario.title, ...(faultMode ? { faultMode } : {}) });
    }
  }
  return rows;
}

/** What the fault did, with the node's name where the provider's words have a placeholder for it. */
export function faultText(f: Pick<FailoverRecord, "fault" | "node">): string {
  return f.fault.replaceAll("{node}", f.node);
}

/** The values the timeline depends on, as "name: value" lines. */
export function parameterLines(f: Pick<FailoverRecord, "parameters">): string[] {
  return Object.entries(f.parameters).map(([name, value]) => `${name}: ${value}`);
}
