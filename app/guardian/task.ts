import type { ClusterInfo } from "../../lib/cluster/contract.ts";

/** What the guardian (guardian.ts) does when a run ends without finishing: told by the run, line by line. */
export interface CleanupTask {
  /**
   * The nodes the run may fail (the node-failure scenarios, one per lane) and may not have restored: the
   * guardian restores each through its provider's node faults, in every mode they have, and removes the
   * out-of-service taint. First of all: the cluster's other parts may need the nodes, and removing the
   * cluster needs nothing of them.
   */
  nodeFaults?: { provider: string; cluster: ClusterInfo; nodes: string[] };
  /** Write the run's reports, marked interrupted, from its plan and records (never over a complete run's). */
  report?: { reportDir: string; runId: string };
  /**
   * A run's namespaces and PriorityClasses to remove from a cluster the run does not own; `command`
   * is what removes them by hand should that fail (amc cleanup with the run's cluster flags).
   */
  runObjects?: { kubeconfigPath: string; runId: string; command?: string };
  /** Clusters the run started for itself, each removed through its provider's `down` (clusters/registry.ts). */
  clusters?: { provider: string; name: string }[];
  /** Files and directories of the run's own (a private kubeconfig copy), removed last. */
  removePaths?: string[];
}

/** One part of a task, which the run may do itself and strike from the guardian's task. */
export type TaskPart = keyof CleanupTask;

/** Every part, in the order the guardian does them. */
export const taskParts: readonly TaskPart[] = [
  "nodeFaults",
  "report",
  "runObjects",
  "clusters",
  "removePaths",
];

/** A task with an update added: single fields are replaced, lists grow. */
export function mergeTasks(task: CleanupTask, update: CleanupTask): CleanupTask {
  return {
    ...task,
    ...update,
    clusters: [...(task.clusters ?? []), ...(update.clusters ?? [])],
    removePaths: [...(task.removePaths ?? []), ...(update.removePaths ?? [])],
  };
}

/** A task without the parts the run did itself. */
export function withoutParts(task: CleanupTask, done: readonly string[]): CleanupTask {
  return Object.fromEntries(Object.entries(task).filter(([part]) => !done.includes(part))) as CleanupTask;
}

/** Whether a task has anything left to do. */
export function isEmptyTask(task: CleanupTask): boolean {
  return (
    !task.nodeFaults &&
    !task.report &&
    !task.runObjects &&
    !task.clusters?.length &&
    !task.removePaths?.length
  );
}

/** One thing the guardian does, with what it needs. */
export type GuardianStep =
  | { part: "nodeFaults"; nodeFaults: NonNullable<CleanupTask["nodeFaults"]> }
  | { part: "report"; report: NonNullable<CleanupTask["report"]> }
  | { part: "runObjects"; runObjects: NonNullable<CleanupTask["runObjects"]> }
  | { part: "clusters"; cluster: { provider: string; name: string } }
  | { part: "removePaths"; path: string };

/**
 * What the guardian does for a task, in order: the failed node first (before
 * anything else touches the cluster, and while its cluster still exists),
 * then the reports, the run's objects, the run's clusters, and last the
 * paths (removing the run's objects may need the private kubeconfig among
 * them). Each step is tried whatever happened to the ones before it.
 */
export function guardianSteps(task: CleanupTask): GuardianStep[] {
  const { nodeFaults, report, runObjects, clusters, removePaths } = task;
  return [
    ...(nodeFaults ? [{ part: "nodeFaults" as const, nodeFaults }] : []),
    ...(report ? [{ part: "report" as const, report }] : []),
    ...(runObjects ? [{ part: "runObjects" as const, runObjects }] : []),
    ...(clusters ?? []).map((cluster) => ({ part: "clusters" as const, cluster })),
    ...(removePaths ?? []).map((path) => ({ part: "removePaths" as const, path })),
  ];
}
