import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { CleanupTask, TaskPart } from "./task.ts";

export type { CleanupTask, TaskPart };

/**
 * A detached helper process that finishes a test run that ends without doing
 * so itself: Ctrl-C (vitest exits at once on SIGINT, without running
 * globalSetup teardowns), SIGTERM from CI, SIGKILL, a crash. It holds the read
 * end of a pipe from the run; when the run's process ends, for any reason, the
 * pipe closes and the guardian wakes. The run tells it, line by line, what
 * there is to do (it learns the cluster after the run started) and dismisses
 * it once it did the work itself. It runs in its own session, so the
 * terminal's Ctrl-C does not reach it.
 */

export interface Guardian {
  /** Adds to what the guardian does if the run ends without dismissing it. */
  update(task: CleanupTask): void;
  /** The run did these parts itself (its reports are written, its objects removed): the guardian drops them. */
  done(...parts: TaskPart[]): void;
  /** The run finished its work itself: the guardian exits without doing anything. */
  dismiss(): void;
}

const guardianMain = fileURLToPath(new URL("./guardian-main.ts", import.meta.url));

export function startGuardian(task: CleanupTask = {}): Guardian {
  const child = spawn(process.execPath, [guardianMain], {
    detached: true,
    stdio: ["pipe", "inherit", "inherit"],
  });
  child.unref();
  // Neither the child nor the pipe may keep the run alive.
  (child.stdin as unknown as Socket).unref();
  const send = (message: object) => child.stdin?.write(`${JSON.stringify(message)}\n`);
  send({ update: task });
  return {
    update: (more) => send({ update: more }),
    done: (...parts) => send({ done: parts }),
    dismiss: () => {
      send({ dismiss: true });
      child.stdin?.end();
    },
  };
}
