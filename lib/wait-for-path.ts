import { watch } from "node:fs";
import { access } from "node:fs/promises";
import { basename, dirname } from "node:path";

/** Resolves when `path` exists (a socket a process is about to create), watching its directory. */
export async function waitForPath(path: string, timeoutMs: number, what: string): Promise<void> {
  const exists = () =>
    access(path).then(
      () => true,
      () => false,
    );
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(dirname(path), (_event, file) => {
      if (file === basename(path)) exists().then((yes) => yes && done(resolve));
    });
    const timer = setTimeout(
      () => done(() => reject(new Error(`${what}: ${path} did not appear in ${timeoutMs} ms`))),
      timeoutMs,
    );
    const done = (settle: () => void) => {
      clearTimeout(timer);
      watcher.close();
      settle();
    };
    // It may have appeared before the watch started.
    exists().then((yes) => yes && done(resolve));
  });
}
