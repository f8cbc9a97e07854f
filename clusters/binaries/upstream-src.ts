import { InfrastructureError } from "../../lib/errors.ts";
import { findUpstreamArchive, upstreamSourceDirs } from "../../lib/upstream-src.ts";
import { sha256File } from "./cache.ts";
import type { SourceArchive } from "./components.ts";

/**
 * Upstream release archives the Go module proxy refuses to serve
 * (csi-driver-host-path, node-driver-registrar): unmodified `git archive`
 * trees with their own vendor/, read from a directory outside the repository
 * (lib/upstream-src.ts) and never copied into it.
 */

/** The archive's path, checked against its pinned digest. */
export async function sourceArchivePath(
  archive: SourceArchive,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = findUpstreamArchive(archive.file, env);
  if (!path) {
    throw new InfrastructureError(
      `${archive.file} is in none of ${upstreamSourceDirs(env).join(", ")}: the Go module proxy does not serve this source, so it is built from its release archive (with vendor/); set AMC_UPSTREAM_SRC to the directory that holds it`,
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
