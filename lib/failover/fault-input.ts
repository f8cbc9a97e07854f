import type { ClusterInfo, NodeFaultMode, NodeFaults } from "../cluster/contract.ts";
import type { Kube } from "../kube/client.ts";
import type { RunContext } from "../run.ts";
import type { Timeouts } from "../scenario/timeouts.ts";
import type { FailoverSettings } from "../settings.ts";
import type { FailoverCase } from "./writers.ts";

/** What one node fault is run with (run-fault.ts), and what its records are built from (record.ts). */

/** The attach/detach controller's wait for an unmount before it force-detaches (hard-coded upstream). */
export const UNMOUNT_WAIT_MS = 6 * 60_000;

/**
 * How long a case's path may take to get the workload writing elsewhere,
 * from its start: the budget; on attachable storage the force-delete path
 * gets the unmount wait on top (it starts at the force delete).
 */
export function pathBudgetMs(fcase: FailoverCase, budgetMs: number): number {
  const waitsForUnmount =
    fcase.scenario.failover?.path === "force-delete" && fcase.storage.family === "attachable";
  return budgetMs + (waitsForUnmount ? UNMOUNT_WAIT_MS : 0);
}

export interface FaultInput {
  kube: Kube;
  cluster: ClusterInfo;
  labels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  run: RunContext;
  timeouts: Timeouts;
  faults: NodeFaults;
  mode: NodeFaultMode;
  settings: FailoverSettings;
  nodes: { failed: string; other: string };
  cases: FailoverCase[];
  signal?: AbortSignal | undefined;
}
