import { access, constants, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot } from "../../lib/cache-dir.ts";
import { InfrastructureError } from "../../lib/errors.ts";
import { withLock } from "../../lib/lock.ts";
import { formatDuration, say } from "../../lib/progress.ts";
import { readSettings } from "../../lib/settings.ts";
import {
  componentDir,
  newStagingDir,
  publish,
  readCompleteEntry,
  recipeKey,
  removeAbandonedStaging,
  removeWorkDir,
  type Source,
} from "./cache.ts";
import { type Component, type ComponentId, components, currentPlatform } from "./components.ts";
import { downloadRelease } from "./download.ts";
import { goBuild, wrapperSourceFiles } from "./go-build.ts";
import { type GoCommand, provideGo } from "./go-toolchain.ts";

/**
 * Finds each upstream component, in this order, and says which one it used:
 *  1. the directory named by AMC_BIN_DIR (files used as they are);
 *  2. the cache under $XDG_CACHE_HOME or ~/.cache;
 *  3. the official release download;
 *  4. a build from source through the Go module proxy, with `go` from PATH or,
 *     failing that, the Go toolchain fetched through that proxy (go-toolchain.ts).
 * Steps 3 and 4 run under a per-component lock and publish into the cache
 * atomically, so concurrent runs neither corrupt nor duplicate the work.
 */

export const BIN_DIR_ENV = "AMC_BIN_DIR";
const scope = "binaries";

export interface ResolvedComponent {
  id: ComponentId;
  version: string;
  source: Source;
  dir: string;
}

/** An upstream binary that could not be fetched nor built: an infrastructure error (exit code 3), each attempt listed. */
export class ProvisioningError extends InfrastructureError {
  readonly component: ComponentId;
  readonly attempts: readonly string[];
  constructor(component: ComponentId, attempts: readonly string[]) {
    super(
      `could not provide ${component}:\n${attempts.map((a) => `  - ${a}`).join("\n")}`,
      "AMC_PROVISIONING",
    );
    this.name = "ProvisioningError";
    this.component = component;
    this.attempts = attempts;
  }
}

async function hasAllFiles(dir: string, files: readonly string[]): Promise<boolean> {
  for (const file of files) {
    const mode = file.endsWith(".proto") ? constants.R_OK : constants.X_OK;
    if (
      !(await access(join(dir, file), mode).then(
        () => true,
        () => false,
      ))
    )
      return false;
  }
  return true;
}

async function keyFor(component: Component, platform: string): Promise<string> {
  const sources = await wrapperSourceFiles(component.build);
  const extra = await Promise.all(sources.map((path) => readFile(path, "utf8")));
  return recipeKey(component, platform, extra);
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  platform?: string;
}

export async function resolveComponent(
  component: Component,
  options: ResolveOptions = {},
): Promise<ResolvedComponent> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? currentPlatform();
  const label = `${component.id} ${component.version}`;
  const found = (source: Source, dir: string): ResolvedComponent => {
    say(scope, `${label}: ${describeSource(source)} (${dir})`);
    return { id: component.id, version: component.version, source, dir };
  };

  const userDir = readSettings(env).binDir;
  if (userDir && (await hasAllFiles(userDir, component.files))) return found("user-dir", userDir);

  const root = cacheRoot(env);
  const recipe = await keyFor(component, platform);
  const finalDir = componentDir(root, component, platform, recipe);
  if (await readCompleteEntry(finalDir)) return found("cache", finalDir);

  const lockPath = join(root, "locks", `${component.id}-${component.version}-${platform}.lock`);
  return withLock(scope, lockPath, `preparing ${label}`, async () => {
    // Whoever held the lock before us may have finished the job.
    if (await readCompleteEntry(finalDir)) return found("cache", finalDir);
    await rm(finalDir, { recursive: true, force: true }); // an incomplete leftover, never used
    const attempts: string[] = [];
    if (userDir) attempts.push(`${BIN_DIR_ENV}=${userDir} lacks ${component.files.join(", ")}`);

    const release = component.release(platform);
    if (release) {
      const started = Date.now();
      const staging = await newStagingDir(root, component.id);
      say(scope, `${label}: downloading the official release`);
      try {
        await downloadRelease(release, staging);
        const manifest = await publish(
          staging,
          finalDir,
          {
            component: component.id,
            version: component.version,
            platform,
            recipe,
            source: "release-download",
            seconds: (Date.now() - started) / 1000,
          },
          component.files,
        );
        say(scope, `${label}: downloaded in ${formatDuration(manifest.seconds * 1000)}`);
        return found("release-download", finalDir);
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        const reason = `release download failed after ${formatDuration(Date.now() - started)}: ${(error as Error).message}`;
        say(scope, `${label}: ${reason}`);
        attempts.push(reason);
      }
    } else {
      attempts.push("no official binary release is published");
    }

    let go: GoCommand;
    try {
      go = await provideGo({ env: options.env, scope });
    } catch (error) {
      attempts.push(`no Go to build it from the Go module proxy: ${(error as Error).message}`);
      throw new ProvisioningError(component.id, attempts);
    }
    const started = Date.now();
    const staging = await newStagingDir(root, component.id);
    const work = await newStagingDir(root, `${component.id}-build`);
    say(
      scope,
      component.build.kind === "module-files"
        ? `${label}: taking ${component.files.join(", ")} from its module on the Go module proxy`
        : component.build.kind === "source-archive"
          ? `${label}: building from its release archive ${component.build.archive.file}, offline (about a minute; progress every 15 s)`
          : `${label}: building from source through the Go module proxy (a cold build takes minutes; progress every 15 s)`,
    );
    try {
      await goBuild(component, work, staging, scope, go, env);
      const seconds = (Date.now() - started) / 1000;
      await publish(
        staging,
        finalDir,
        {
          component: component.id,
          version: component.version,
          platform,
          recipe,
          source: "go-build",
          seconds,
        },
        component.files,
      );
      say(scope, `${label}: built in ${formatDuration(seconds * 1000)}`);
      return found("go-build", finalDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      attempts.push(`go build failed: ${(error as Error).message}`);
      throw new ProvisioningError(component.id, attempts);
    } finally {
      await removeWorkDir(work);
    }
  });
}

function describeSource(source: Source): string {
  switch (source) {
    case "user-dir":
      return `using ${BIN_DIR_ENV}`;
    case "cache":
      return "from the cache";
    case "release-download":
      return "from the official release";
    case "go-build":
      return "built from source";
  }
}

/** Resolves components one after another (builds use every core; running them side by side gains nothing). */
export async function resolveComponents(
  ids: readonly ComponentId[] = Object.keys(components) as ComponentId[],
  options: ResolveOptions = {},
): Promise<Record<ComponentId, ResolvedComponent>> {
  await removeAbandonedStaging(cacheRoot(options.env ?? process.env));
  const resolved = {} as Record<ComponentId, ResolvedComponent>;
  for (const id of ids) resolved[id] = await resolveComponent(components[id], options);
  return resolved;
}
