import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InfrastructureError } from "../../lib/errors.ts";
import { readSettings } from "../../lib/settings.ts";
import { sha256File } from "./cache.ts";
import type { SourceArchive } from "./components.ts";

/**
 * Upstream release archives the Go module proxy refuses to serve
 * (csi-driver-host-path, node-driver-registrar): unmodified `git archive`
 * trees with their own vendor/, read from a directory outside the repository
 * and never copied into it. AMC_UPSTREAM_SRC names the directory; unset, the
 * machine's shared copy next to the checkout is used.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where the archives are looked for, in order. */
export function upstreamSourceDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const setting = readSettings(env).upstreamSrc;
  if (setting) return [resolve(setting)];
  return [join(repoRoot, "..", "shared", "upstream-src"), "/work/shared/upstream-src"];
}

/** The archive's path, checked against its pinned digest. */
export async function sourceArchivePath(
  archive: SourceArchive,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const dirs = upstreamSourceDirs(env);
  const path = dirs.map((dir) => join(dir, archive.file)).find((candidate) => existsSync(candidate));
  if (!path) {
    throw new InfrastructureError(
      `${archive.file} is in none of ${dirs.join(", ")}: the Go module proxy does not serve this source, so it is built from its release archive (with vendor/); set AMC_UPSTREAM_SRC to the directory that holds it`,
    );
  }
  const digest = await sha256File(path);
  if (digest !== archive.sha256) {
    throw new InfrastructureError(
      `${path} has SHA-256 ${digest}, not the pinned ${archive.sha256} (clusters/binaries/pins.ts): another release or a damaged file`,
    );
  }
  return path;
}
