import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * A detached helper process that cleans up after a test run that ends
 * without doing so itself: Ctrl-C (vitest exits at once on SIGINT, without
 * running globalSetup teardowns), SIGTERM from CI, SIGKILL, a crash. It holds
 * the read end of a pipe from the run; when the run's process ends, for any
 * reason, the pipe closes and the guardian wakes. A run that cleaned up
 * dismisses it first. It runs in its own session, so the terminal's Ctrl-C
 * does not reach it.
 */

export interface CleanupTask {
  /** Name of a local cluster to tear down. */
  localCluster?: string;
  /** A run's namespaces and PriorityClasses to remove from a cluster the run does not own. */
  runObjects?: { kubeconfigPath: string; runId: string };
}

export interface Guardian {
  /** The run cleaned up itself: the guardian exits without doing anything. */
  dismiss(): void;
}

const guardianMain = fileURLToPath(new URL("./guardian-main.ts", import.meta.url));

export function startGuardian(task: CleanupTask): Guardian {
  const child = spawn(process.execPath, [guardianMain, JSON.stringify(task)], {
    detached: true,
    stdio: ["pipe", "inherit", "inherit"],
  });
  child.unref();
  // Neither the child nor the pipe may keep the run alive.
  (child.stdin as unknown as Socket).unref();
  return {
    dismiss: () => {
      child.stdin?.end("dismiss\n");
    },
  };
}
