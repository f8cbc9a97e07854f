import type { NodeFaultMode } from "../cluster/contract.ts";
import { failoverScenarios, scenarioById } from "../scenario/scenarios.ts";
import type { FailoverPath, ScenarioFamily } from "../scenario/types.ts";

/**
 * What one result of a report is about: a scenario on a storage class, and
 * for the node-failure scenarios the fault mode too (one result per class and
 * mode). Every form of the report names and keys its results with these, so
 * that the two modes of a scenario on a class never collide.
 */

export interface CaseKey {
  scenario: string;
  storageClass: string;
  /** Set for the node-failure scenarios. */
  faultMode?: NodeFaultMode | undefined;
}

/** A fault mode in a few words, for headings and matrix rows. */
export const faultModeWords: Record<NodeFaultMode, string> = {
  "kubelet-stopped": "kubelet stopped",
  "powered-off": "powered off",
};

/** What the operator does on each node-failure path. */
export const pathWords: Record<FailoverPath, string> = {
  none: "nobody intervenes",
  "force-delete": "the operator force-deletes the old pod",
  "out-of-service": "the operator taints the node out of service",
};

const failoverIds: ReadonlySet<string> = new Set(failoverScenarios.map((s) => s.id));

/** A node-failure scenario (its results are per fault mode, and reported in their own section). */
export function isFailoverScenario(id: string): boolean {
  return failoverIds.has(id);
}

/**
 * A planned scenario or a result about the control plane, not the storage
 * (rwop-preemption-namespaces): as the run's plan and records say, so that
 * reports stay a function of them. Kept out of the storage matrix and counts,
 * in a section of their own.
 */
export function aboutControlPlane(item: { subject?: "control-plane" | undefined }): boolean {
  return item.subject === "control-plane";
}

/** "rwo-node-loss (kubelet stopped)", or the scenario id alone. */
export function scenarioLabel(scenario: string, faultMode?: NodeFaultMode): string {
  return faultMode ? `${scenario} (${faultModeWords[faultMode]})` : scenario;
}

/** "rwo-node-loss @ amc-block (kubelet-stopped)", as the test cases are named; "rwo-cross-node @ amc-block". */
export function caseName(key: CaseKey): string {
  return `${key.scenario} @ ${key.storageClass}${key.faultMode ? ` (${key.faultMode})` : ""}`;
}

/** A key unique per result: "<scenario>@<class>[@<mode>]", as the record's file is named. */
export function caseKey(key: CaseKey): string {
  return `${key.scenario}@${key.storageClass}${key.faultMode ? `@${key.faultMode}` : ""}`;
}

/** A measured handoff's name: its case, "rwo-handoff @ amc-block" (documents before the scenario was written in it: the class). */
export function handoffName(h: { scenario?: string; storageClass: string }): string {
  return h.scenario ? `${h.scenario} @ ${h.storageClass}` : h.storageClass;
}

export function sameCase(a: CaseKey, b: CaseKey): boolean {
  return a.scenario === b.scenario && a.storageClass === b.storageClass && a.faultMode === b.faultMode;
}

/** A planned scenario as the matrix groups it. */
export interface GroupedScenario {
  id: string;
  accessMode: string;
  volumeMode?: "Block" | undefined;
  family?: ScenarioFamily | undefined;
}

/** One section of the storage matrix: scenarios that belong together, in plan order. */
export interface MatrixGroup<S extends GroupedScenario> {
  title: string;
  scenarios: S[];
}

/**
 * The storage matrix, a section per group so that it stays readable as
 * scenarios are added: filesystem volumes, raw block volumes, claims asking
 * for several modes, workloads, zones; each grouped by access mode inside. A plan
 * recorded before the family was written in it (workloads) is grouped by
 * today's scenario table.
 */
export function matrixGroups<S extends GroupedScenario>(scenarios: readonly S[]): MatrixGroup<S>[] {
  const titleOf = (s: S): string => {
    const family = s.family ?? scenarioById(s.id)?.family;
    if (family === "workloads") return "Workloads: rollouts and rescheduling";
    if (family === "mixed-modes") return "Claims asking for several access modes";
    if (family === "zones") return "Zones: a pod in another zone, a zone going down";
    return s.volumeMode === "Block" ? "Raw block volumes (volumeMode: Block)" : "Filesystem volumes";
  };
  const groups: MatrixGroup<S>[] = [];
  for (const scenario of scenarios) {
    const title = titleOf(scenario);
    const group = groups.find((g) => g.title === title);
    if (group) group.scenarios.push(scenario);
    else groups.push({ title, scenarios: [scenario] });
  }
  return groups;
}
