/** What the guardian (guardian.ts) does when a run ends without finishing: told by the run, line by line. */
export interface CleanupTask {
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

export const taskParts: readonly TaskPart[] = ["report", "runObjects", "clusters", "removePaths"];

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
  return !task.report && !task.runObjects && !task.clusters?.length && !task.removePaths?.length;
}
