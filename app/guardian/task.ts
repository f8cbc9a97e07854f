/** What the guardian (guardian.ts) does when a run ends without finishing: told by the run, line by line. */
export interface CleanupTask {
  /** Write the run's reports, marked interrupted, from its plan and records. */
  report?: { reportDir: string; runId: string };
  /** A run's namespaces and PriorityClasses to remove from a cluster the run does not own. */
  runObjects?: { kubeconfigPath: string; runId: string };
  /** Clusters the run started for itself, each removed through its provider's `down` (clusters/registry.ts). */
  clusters?: { provider: string; name: string }[];
  /** Files and directories of the run's own (a private kubeconfig copy), removed last. */
  removePaths?: string[];
}

/** A task with an update added: single fields are replaced, lists grow. */
export function mergeTasks(task: CleanupTask, update: CleanupTask): CleanupTask {
  return {
    ...task,
    ...update,
    clusters: [...(task.clusters ?? []), ...(update.clusters ?? [])],
    removePaths: [...(task.removePaths ?? []), ...(update.removePaths ?? [])],
  };
}
