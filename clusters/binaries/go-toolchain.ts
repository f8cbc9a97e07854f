import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, constants, copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { openPromise } from "yauzl";
import { cacheRoot } from "../../lib/cache-dir.ts";
import { withLock } from "../../lib/lock.ts";
import { formatDuration, heartbeat, say } from "../../lib/progress.ts";
import { newStagingDir, removeWorkDir } from "./cache.ts";
import { currentPlatform } from "./components.ts";
import { downloadFile } from "./download.ts";
import { goToolchainSums, pins } from "./pins.ts";

/**
 * The `go` command that builds the upstream binaries, in this order:
 *  1. `go` on PATH, when it is at least the minor release of `pins.go` (1.26),
 *     or Go 1.21 or later allowed to fetch the toolchain a module asks for
 *     itself (`go env GOTOOLCHAIN` is auto; Debian's go, for one, says local);
 *  2. the toolchain of `pins.go` that an earlier run fetched, in the cache
 *     (`<cache>/bin/go/go1.26.8-linux-amd64/`, a GOROOT);
 *  3. that toolchain fetched now through the Go module proxy, the way `go`
 *     itself switches toolchains: the module golang.org/toolchain, version
 *     v0.0.1-go1.26.8.linux-amd64, from the first proxy of GOPROXY. Its zip
 *     must hash (go.sum's h1:) to the pin in pins.ts; it is unpacked into a
 *     staging directory and renamed into the cache, under a lock.
 */

export const TOOLCHAIN_MODULE = "golang.org/toolchain";
export const DEFAULT_GOPROXY = "https://proxy.golang.org";
/** The first release whose `go` switches toolchains by itself (GOTOOLCHAIN). */
const switchingSince = "go1.21";
const MARKER = ".amc-go-toolchain.json";

export interface GoCommand {
  /** "go" (found on PATH) or the absolute path of a fetched toolchain's bin/go. */
  command: string;
  /** Added to the environment of every go command. */
  env: Record<string, string>;
  /** What it is, for progress lines: "go1.26.8 on PATH". */
  description: string;
}

export interface GoOptions {
  /** Read for PATH, GOPROXY, GOENV, GOTOOLCHAIN and the cache root, over process.env. */
  env?: NodeJS.ProcessEnv;
  scope?: string;
  /** The toolchain to fetch when PATH has no usable go; tests name others. */
  version?: string;
  sums?: Readonly<Record<string, string>>;
  platform?: string;
}

/** "go1.26.8", "linux-amd64" -> "v0.0.1-go1.26.8.linux-amd64": the module version Go gives a toolchain. */
export function toolchainModuleVersion(goVersion: string, platform: string): string {
  if (!/^go\d+\.\d+(\.\d+)?$/.test(goVersion)) throw new Error(`not a Go release: ${goVersion}`);
  if (!/^[a-z0-9]+-[a-z0-9]+$/.test(platform)) throw new Error(`not a Go platform (os-arch): ${platform}`);
  return `v0.0.1-${goVersion}.${platform}`;
}

/** Where the proxy at `proxy` serves the toolchain's module zip (GOPROXY protocol: $base/$module/@v/$version.zip). */
export function toolchainZipUrl(proxy: string, goVersion: string, platform: string): string {
  return `${proxy}/${TOOLCHAIN_MODULE}/@v/${toolchainModuleVersion(goVersion, platform)}.zip`;
}

/**
 * The proxies a GOPROXY value names, in order, as Go reads it: entries
 * separated by "," or "|", up to the first "off" or "direct" (after which Go
 * asks no proxy); a host without a scheme means https. Unset or empty means
 * Go's default, https://proxy.golang.org. Only http(s) and file URLs are kept.
 */
export function goProxyUrls(setting: string | undefined): string[] {
  const value = setting && setting.trim() !== "" ? setting : `${DEFAULT_GOPROXY},direct`;
  const urls: string[] = [];
  for (const raw of value.split(/[,|]/)) {
    const entry = raw.trim();
    if (entry === "") continue;
    if (entry === "off" || entry === "direct") break;
    let url = entry;
    if (!entry.includes(":/")) {
      if (entry.startsWith("/") || !/[.:/]/.test(entry)) continue; // a bare path, or a keyword Go reserves
      url = `https://${entry}`;
    }
    if (!/^(https?|file):\/\//i.test(url)) continue;
    urls.push(url.replace(/\/+$/, ""));
  }
  return urls;
}

/** The settings of a Go env file (`go env -w` writes them: one KEY=VALUE a line). */
export function parseGoEnvFile(text: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) settings[match[1]] = (match[2] ?? "").trim();
  }
  return settings;
}

/** A go setting as the go command would see it: the environment, then the user's go env file (GOENV). */
export async function goSetting(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const value = env[name];
  if (value !== undefined && value !== "") return value;
  if (env.GOENV === "off") return undefined;
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  const file = env.GOENV || join(configHome, "go", "env");
  const text = await readFile(file, "utf8").catch(() => "");
  return parseGoEnvFile(text)[name] || undefined;
}

/** "go version go1.26.8 linux/amd64" -> "go1.26.8"; a development build ("devel go1.27-abc") -> "go1.27". */
export function goVersionOfOutput(output: string): string | undefined {
  return /\b(go\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

/** Whether `goVersion` ("go1.24.4") is `minimum` ("go1.26", "go1.21.3") or later. */
export function atLeast(goVersion: string, minimum: string): boolean {
  const parts = (v: string) => v.replace(/^go/, "").split(".").map(Number);
  const [have, want] = [parts(goVersion), parts(minimum)];
  for (let i = 0; i < want.length; i++) {
    const [h = 0, w = 0] = [have[i], want[i]];
    if (h !== w) return h > w;
  }
  return true;
}

/** "go1.26.8" -> "go1.26": the release line a toolchain belongs to. */
export function minorRelease(goVersion: string): string {
  return goVersion.split(".").slice(0, 2).join(".");
}

/**
 * Whether a go on PATH builds modules that ask for `needed` ("go1.26"): it is
 * that release or later, or it is Go 1.21 or later and its GOTOOLCHAIN lets it
 * download the toolchain a module asks for (auto, or NAME+auto).
 */
export function pathGoWillDo(goVersion: string, gotoolchain: string | undefined, needed: string): boolean {
  if (atLeast(goVersion, needed)) return true;
  if (!atLeast(goVersion, switchingSince) || gotoolchain === undefined) return false;
  return gotoolchain === "auto" || gotoolchain.endsWith("+auto");
}

/**
 * Go's dirhash "h1:" of a module zip (golang.org/x/mod/sumdb/dirhash Hash1):
 * the SHA-256 of the lines "<sha256 hex of the file>  <name>\n", one per
 * file sorted by name (byte order), in base64.
 */
export function hash1(files: ReadonlyArray<readonly [name: string, sha256Hex: string]>): string {
  const sorted = [...files].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const summary = createHash("sha256");
  for (const [name, digest] of sorted) {
    if (name.includes("\n")) throw new Error(`dirhash: a file name with a newline: ${JSON.stringify(name)}`);
    summary.update(`${digest}  ${name}\n`);
  }
  return `h1:${summary.digest("base64")}`;
}

/** The cache directory of a fetched toolchain: a GOROOT. */
export function toolchainDir(root: string, goVersion: string, platform: string): string {
  return join(root, "bin", "go", `${goVersion}-${platform}`);
}

/** How to run a fetched toolchain: its own GOROOT, and no switching to another unless the user asks. */
function fetchedGo(dir: string, goVersion: string, env: NodeJS.ProcessEnv, how: string): GoCommand {
  return {
    command: join(dir, "bin", "go"),
    env: {
      GOROOT: dir,
      // It is the version the modules need: with `local`, a module asking for a newer
      // Go fails naming both versions (bump pins.go) instead of fetching yet another.
      GOTOOLCHAIN: env.GOTOOLCHAIN || "local",
      PATH: [join(dir, "bin"), env.PATH].filter(Boolean).join(":"),
    },
    description: `${goVersion} ${how} (${dir})`,
  };
}

async function completeToolchain(dir: string, goVersion: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), "utf8")) as { version?: string };
    await access(join(dir, "bin", "go"), constants.X_OK);
    return marker.version === goVersion;
  } catch {
    return false;
  }
}

const found = new Map<string, Promise<GoCommand>>();

/**
 * The go command to build with (see the top of this file), found once per
 * process for each cache and PATH. Says which one, and what it fetched.
 * Throws, saying why, when PATH has none and the toolchain cannot be fetched.
 */
export function provideGo(options: GoOptions = {}): Promise<GoCommand> {
  const env = { ...process.env, ...options.env };
  const version = options.version ?? pins.go;
  const platform = options.platform ?? currentPlatform();
  const key = JSON.stringify([cacheRoot(env), env.PATH, version, platform]);
  let go = found.get(key);
  if (!go) {
    go = findGo(env, version, platform, options.sums ?? goToolchainSums, options.scope ?? "binaries");
    found.set(key, go);
    go.catch(() => found.delete(key)); // a later call tries again
  }
  return go;
}

async function findGo(
  env: NodeJS.ProcessEnv,
  version: string,
  platform: string,
  sums: Readonly<Record<string, string>>,
  scope: string,
): Promise<GoCommand> {
  // Outside any module: a go.mod in the working directory could make go switch toolchains here.
  const ask = async (args: string[]) => {
    const result = await execa("go", args, { env, cwd: tmpdir(), reject: false });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  };
  const needed = minorRelease(version);
  const pathVersion = goVersionOfOutput((await ask(["version"])) ?? "");
  let why = "no go on PATH";
  if (pathVersion) {
    const gotoolchain = atLeast(pathVersion, needed) ? undefined : await ask(["env", "GOTOOLCHAIN"]);
    if (pathGoWillDo(pathVersion, gotoolchain, needed)) {
      const description = `${pathVersion} on PATH${gotoolchain ? ` (GOTOOLCHAIN=${gotoolchain})` : ""}`;
      say(scope, `go: ${description}`);
      return { command: "go", env: {}, description };
    }
    why = `go on PATH is ${pathVersion}${gotoolchain ? ` with GOTOOLCHAIN=${gotoolchain}` : ""}, older than the ${needed} the modules ask for and not fetching it itself`;
  }

  const root = cacheRoot(env);
  const dir = toolchainDir(root, version, platform);
  const cached = (how: string) => {
    const go = fetchedGo(dir, version, env, how);
    say(scope, `go: ${why}; using ${go.description}`);
    return go;
  };
  if (await completeToolchain(dir, version)) return cached("fetched earlier through the Go module proxy");

  const lockPath = join(root, "locks", `go-toolchain-${version}-${platform}.lock`);
  return withLock(scope, lockPath, `fetching ${version}`, async () => {
    if (await completeToolchain(dir, version)) return cached("fetched earlier through the Go module proxy");
    const expected = sums[platform];
    if (!expected) {
      throw new Error(
        `${why}, and there is no pinned Go toolchain for ${platform} (pins.ts has ${Object.keys(sums).join(", ")}): put Go ${needed.slice(2)} or later on PATH`,
      );
    }
    const setting = await goSetting("GOPROXY", env);
    const proxies = goProxyUrls(setting);
    if (proxies.length === 0) {
      throw new Error(
        `${why}, and GOPROXY=${setting} names no proxy to fetch ${version} from: put Go ${needed.slice(2)} or later on PATH, or set GOPROXY`,
      );
    }
    const failures: string[] = [];
    for (const proxy of proxies) {
      try {
        await fetchToolchain({ proxy, version, platform, expected, dir, root, scope, why });
        return cached("fetched through the Go module proxy");
      } catch (error) {
        say(scope, `go: fetching ${version} from ${proxy} failed: ${(error as Error).message}`);
        failures.push(`${proxy}: ${(error as Error).message}`);
      }
    }
    throw new Error(
      `${why}, and fetching ${version} through the Go module proxy failed: ${failures.join("; ")}`,
    );
  });
}

interface FetchRequest {
  proxy: string;
  version: string;
  platform: string;
  expected: string;
  dir: string;
  root: string;
  scope: string;
  why: string;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function fetchToolchain(request: FetchRequest): Promise<void> {
  const { proxy, version, platform, expected, dir, root, scope, why } = request;
  const module = `${TOOLCHAIN_MODULE}@${toolchainModuleVersion(version, platform)}`;
  const url = toolchainZipUrl(proxy, version, platform);
  say(
    scope,
    `go: ${why}; fetching ${version} (${platform}, about 70 MB) through the Go module proxy ${proxy} (module ${module}; progress every 15 s)`,
  );
  const started = Date.now();
  const staging = await newStagingDir(root, "go-toolchain");
  const zip = join(staging, "module.zip");
  const goroot = join(staging, "go");
  let status = "starting";
  const stop = heartbeat(scope, (elapsed) => `go: fetching ${version}: ${elapsed}, ${status}`);
  try {
    if (url.startsWith("file:")) {
      await copyFile(fileURLToPath(url), zip);
    } else {
      await downloadFile(url, zip, {
        onProgress: (received, total) => {
          status = `${megabytes(received)}${total ? ` of ${megabytes(total)}` : ""} downloaded`;
        },
      });
    }
    const downloaded = Date.now();
    const unpacked = await unpackModuleZip(zip, `${module}/`, goroot, (files) => {
      status = `${files} files unpacked`;
    });
    if (unpacked.h1 !== expected) {
      throw new Error(`${url}: the zip hashes to ${unpacked.h1}, not ${expected} as pinned in pins.ts`);
    }
    await prepareGoroot(goroot, unpacked.goMods);
    const check = await execa(join(goroot, "bin", "go"), ["version"], {
      env: { GOROOT: goroot, GOTOOLCHAIN: "local" },
      reject: false,
    });
    if (check.exitCode !== 0 || goVersionOfOutput(check.stdout) !== version) {
      throw new Error(`the unpacked go does not run as ${version}: ${check.stdout || check.stderr}`.trim());
    }
    const seconds = (Date.now() - started) / 1000;
    await writeFile(
      join(goroot, MARKER),
      `${JSON.stringify({ version, platform, module, url, h1: unpacked.h1, files: unpacked.files, seconds, createdAt: new Date().toISOString() }, null, 2)}\n`,
    );
    await mkdir(dirname(dir), { recursive: true });
    await rename(goroot, dir).catch(async (error) => {
      // Another process (that did not share our lock) got there first.
      if (!(await completeToolchain(dir, version))) throw error;
    });
    say(
      scope,
      `go: fetched ${version} in ${formatDuration(seconds * 1000)} (download ${formatDuration(downloaded - started)}; ${unpacked.files} files, matching the pinned ${expected}) into ${dir}`,
    );
  } finally {
    stop();
    await removeWorkDir(staging);
  }
}

/** Files cmd/go makes executable in a toolchain it downloaded (module zips keep no modes). */
export function isToolchainExecutable(path: string): boolean {
  return path.startsWith("bin/") || path.startsWith("pkg/tool/");
}

/**
 * Unpacks a module zip whose files all lie under `prefix` ("module@version/")
 * into `dest`, without the prefix, and computes its h1: hash on the way. The
 * caller compares the hash before using anything. Returns the unpacked
 * `_go.mod` files too (see prepareGoroot).
 */
export async function unpackModuleZip(
  zipPath: string,
  prefix: string,
  dest: string,
  progress: (files: number) => void = () => undefined,
): Promise<{ h1: string; files: number; goMods: string[] }> {
  // yauzl refuses absolute names and ".." (validateFileName) and entries whose size disagrees.
  const zip = await openPromise(zipPath, { lazyEntries: true, autoClose: false, strictFileNames: true });
  const hashes: Array<[string, string]> = [];
  const goMods: string[] = [];
  const made = new Set<string>();
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (!name.startsWith(prefix) || name === prefix) {
        throw new Error(`${basename(zipPath)}: ${name} is not under ${prefix}`);
      }
      const relative = name.slice(prefix.length);
      const hash = createHash("sha256");
      if (name.endsWith("/")) {
        await mkdir(join(dest, relative), { recursive: true });
      } else {
        const path = join(dest, relative);
        if (!made.has(dirname(path))) {
          await mkdir(dirname(path), { recursive: true });
          made.add(dirname(path));
        }
        await pipeline(
          await zip.openReadStreamPromise(entry),
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              hash.update(chunk);
              yield chunk;
            }
          },
          createWriteStream(path, { mode: isToolchainExecutable(relative) ? 0o755 : 0o644 }),
        );
        if (basename(relative) === "_go.mod") goMods.push(relative);
      }
      hashes.push([name, hash.digest("hex")]);
      progress(hashes.length);
    }
  } finally {
    zip.close();
  }
  return { h1: hash1(hashes), files: hashes.length, goMods };
}

/**
 * A module zip cannot hold a go.mod below its root, so the toolchain module
 * ships them as _go.mod; cmd/go copies each back to go.mod beside it after
 * downloading a toolchain (src/go.mod defines the standard library's module).
 */
async function prepareGoroot(goroot: string, goMods: readonly string[]): Promise<void> {
  for (const goMod of goMods) await copyFile(join(goroot, goMod), join(goroot, dirname(goMod), "go.mod"));
}
