/** What the guardian (guardian.ts) does when a run ends without finishing: told by the run, line by line. */
export interface CleanupTask {
  /** Write the run's reports, marked interrupted, from its plan and records. */
  report?: { reportDir: string; runId: string };
  /** A run's namespaces and PriorityClasses to remove from a cluster the run does not own. */
  runObjects?: { kubeconfigPath: string; runId: string };
  /** Name of a local cluster to tear down. */
  localCluster?: string;
  /** Name of a kind cluster to delete. */
  kindCluster?: string;
  /** Files and directories of the run's own (a private kubeconfig copy), removed last. */
  removePaths?: string[];
}
