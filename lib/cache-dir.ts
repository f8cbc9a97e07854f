import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The suite's cache root: `$XDG_CACHE_HOME/access-mode-conformance`, or
 * `~/.cache/access-mode-conformance`. Binaries, cluster workdirs and locks live
 * here, outside the repository, so that clones and CI runs share them.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "access-mode-conformance");
}
