import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readSettings } from "./settings.ts";

/**
 * Where upstream release archives the Go module proxy refuses to serve
 * (csi-driver-host-path, node-driver-registrar) are looked for: the directory
 * AMC_UPSTREAM_SRC names; unset, the machine's shared copy next to the
 * checkout, then the CI machines' (a clone made elsewhere, as `.ci/run` finds
 * its shared tools). They are read there, never copied into the repository.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The directories looked in, in order. */
export function upstreamSourceDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const setting = readSettings(env).upstreamSrc;
  if (setting) return [resolve(setting)];
  return [join(repoRoot, "..", "shared", "upstream-src"), "/work/shared/upstream-src"];
}

/** The archive named `file` in the first of those directories that holds it, or undefined. */
export function findUpstreamArchive(file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return upstreamSourceDirs(env)
    .map((dir) => join(dir, file))
    .find((path) => existsSync(path));
}
