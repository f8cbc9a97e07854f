import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { heartbeat, say } from "./progress.ts";

/**
 * A lock between processes (two test runs sharing one cache). The holder
 * refreshes it every 2 s; a holder that was killed leaves a lock that goes
 * stale after 10 s and is then taken over. A holder that was stopped for
 * longer (Ctrl-Z, a suspended laptop) finds its lock taken: it says so and
 * finishes its work, which only ever publishes atomically.
 */
export async function withLock<T>(
  scope: string,
  lockPath: string,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const options = {
    realpath: false,
    stale: 10_000,
    update: 2_000,
    onCompromised: (error: Error) =>
      say(scope, `the lock on ${what} was taken over (${error.message}); going on`),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(lockPath, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    say(scope, `another process is ${what} (lock ${lockPath}); waiting for it`);
    const stop = heartbeat(scope, (elapsed) => `still waiting for the lock on ${what}: ${elapsed}`);
    try {
      release = await lockfile.lock(lockPath, {
        ...options,
        retries: { forever: true, minTimeout: 500, maxTimeout: 2_000, factor: 1.5 },
      });
    } finally {
      stop();
    }
  }
  try {
    return await work();
  } finally {
    // A compromised lock is already released; that must not replace the work's own outcome.
    await release().catch(() => undefined);
  }
}
