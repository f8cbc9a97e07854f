import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { InfrastructureError } from "../../../lib/errors.ts";
import { say, timed } from "../../../lib/progress.ts";
import { pins } from "../../binaries/pins.ts";
import { resolveComponents } from "../../binaries/resolve.ts";
import {
  type BuildContext,
  buildFromFiles,
  busyboxOf,
  links,
  listFiles,
  rootfsImage,
  underBuildLock,
} from "./build.ts";

/**
 * The images of the in-cluster path (issue: a Job, a Sonobuoy plugin), built
 * here with no registry, like the kind images, and content-keyed the same way:
 *
 * - the suite: Node and the package as `npm pack` makes it, with its
 *   production dependencies installed from package-lock.json (npm's cache:
 *   the checkout's own `npm ci` filled it), `amc` as the entry point. No
 *   distribution under it: the shared libraries of Node and of the native
 *   addons the package installs (as ldd names them), and
 *   Debian's static busybox for `sh` and the `tar` that `kubectl cp` needs
 *   to fetch the reports;
 * - Sonobuoy: its own binary (pins.sonobuoy, built from the Go module proxy),
 *   as upstream's image is.
 */

export interface InClusterImages {
  suite: string;
  sonobuoy: string;
}

const scope = "in-cluster images";
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");

/** The suite image's name in the manifests: amc.local/access-mode-conformance:<package version>. */
export function suiteImageName(version: string): string {
  return `amc.local/access-mode-conformance:${version}`;
}

/** The user the suite's image runs as (no root needed: everything goes through the API). */
export const SUITE_IMAGE_USER = "65532:65532";

const suiteApplets = ["sh", "tar", "base64", "ls", "cat", "mkdir", "rm", "env", "sleep", "id"];

export function buildInClusterImages(env: NodeJS.ProcessEnv = process.env): Promise<InClusterImages> {
  return underBuildLock(env, "building the in-cluster images", async (root, work) => {
    const suite = await suiteImage(root, work);
    const sonobuoy = await sonobuoyImage(work);
    return { suite, sonobuoy };
  });
}

async function suiteImage(root: string, work: BuildContext): Promise<string> {
  const rootfs = await rootfsImage(root);
  const busybox = await busyboxOf(root, rootfs);
  const staged = await stagedPackage(root);
  const files: Record<string, string> = {
    "usr/local/bin/node": process.execPath,
    "bin/busybox": busybox,
    ...links("bin", "busybox", suiteApplets),
    "etc/passwd": await etcFile(
      root,
      "passwd",
      "root:x:0:0:root:/root:/bin/sh\namc:x:65532:65532:amc:/tmp:/bin/sh\n",
    ),
    "etc/group": await etcFile(root, "group", "root:x:0:\namc:x:65532:\n"),
  };
  const packageFiles = await listFiles(staged.dir);
  // Node's libraries and those of the native addons it loads (rolldown's binding, under vitest, needs librt).
  const programs = [process.execPath, ...packageFiles.filter((path) => path.endsWith(".node"))];
  for (const program of programs) {
    for (const library of await sharedLibraries(program)) files[library.slice(1)] = library;
  }
  for (const path of packageFiles) files[`opt/amc/${relative(staged.dir, path)}`] = path;
  const dockerfile = [
    "FROM scratch",
    "COPY rootfs/ /",
    // An empty /tmp for Node and vitest, writable by the run's user.
    'RUN ["/bin/busybox", "mkdir", "-m", "1777", "/tmp"]',
    "ENV PATH=/usr/local/bin:/bin HOME=/tmp",
    "WORKDIR /tmp",
    `USER ${SUITE_IMAGE_USER}`,
    'ENTRYPOINT ["/usr/local/bin/node", "/opt/amc/bin/amc.js"]',
    "",
  ].join("\n");
  const tag = await buildFromFiles(work, "access-mode-conformance", staged.version, dockerfile, files);
  // The name the manifests use (manifests/in-cluster/, manifests/sonobuoy/), on the image just built.
  await execa("docker", ["tag", tag, suiteImageName(staged.version)]);
  say(scope, `suite image ${tag} (also ${suiteImageName(staged.version)})`);
  await removeEarlierSuiteImages(tag);
  return tag;
}

/**
 * The suite image's earlier builds (about 300 MB each, one per source change): only the current
 * one is kept. An image a container still uses stays (docker refuses), and is tried again next time.
 */
async function removeEarlierSuiteImages(current: string): Promise<void> {
  const repository = current.slice(0, current.lastIndexOf(":"));
  const { stdout } = await execa("docker", ["images", repository, "--format", "{{.Repository}}:{{.Tag}}"]);
  const earlier = stdout
    .split("\n")
    .filter((image) => image !== current && /:[^:]+-[0-9a-f]{12}$/.test(image));
  if (earlier.length === 0) return;
  const removed = await execa("docker", ["rmi", ...earlier], { reject: false });
  say(
    scope,
    `removed earlier suite image(s) ${earlier.join(", ")}${removed.exitCode === 0 ? "" : ` (not all: ${removed.stderr.trim()})`}`,
  );
}

async function sonobuoyImage(work: BuildContext): Promise<string> {
  const bins = await resolveComponents(["sonobuoy"]);
  const sonobuoy = bins.sonobuoy;
  if (!sonobuoy) throw new InfrastructureError("the sonobuoy component did not resolve");
  // Upstream's image: the binary at /sonobuoy, the aggregator its default command (no entry point:
  // `sonobuoy run` gives the aggregator and the worker sidecar their commands).
  const dockerfile = [
    "FROM scratch",
    "COPY rootfs/ /",
    "ENV PATH=/usr/local/bin:/usr/bin:/bin",
    'CMD ["/sonobuoy", "aggregator", "--no-exit", "-v", "3", "--logtostderr"]',
    "",
  ].join("\n");
  return buildFromFiles(work, "sonobuoy", pins.sonobuoy, dockerfile, {
    sonobuoy: join(sonobuoy.dir, "sonobuoy"),
  });
}

/**
 * The package as `npm pack` makes it, with its production dependencies as
 * package-lock.json pins them, installed once per (package, lock) and kept.
 */
async function stagedPackage(root: string): Promise<{ dir: string; version: string }> {
  const scratch = await mkdtemp(join(root, "pack-"));
  try {
    const { stdout } = await npm(["pack", "--json", "--pack-destination", scratch], repoRoot);
    const [packed] = JSON.parse(stdout) as { filename: string; version: string }[];
    if (!packed) throw new InfrastructureError("npm pack made no tarball");
    const tarball = join(scratch, packed.filename);
    const lock = join(repoRoot, "package-lock.json");
    const key = createHash("sha256")
      .update(await readFile(tarball))
      .update(await readFile(lock))
      .digest("hex")
      .slice(0, 12);
    const dir = join(root, "suite-package", key);
    if (existsSync(join(dir, "package.json"))) return { dir, version: packed.version };
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await execa("tar", ["-xzf", tarball, "-C", partial, "--strip-components=1"]);
    await writeFile(join(partial, "package-lock.json"), await readFile(lock));
    await timed(scope, "installing the package's production dependencies (npm ci --omit=dev)", () =>
      npm(["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], partial),
    );
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    // One staged package is kept (about 200 MB): the ones of earlier sources go.
    for (const other of await readdir(dirname(dir))) {
      if (other !== key) await rm(join(dirname(dir), other), { recursive: true, force: true });
    }
    return { dir, version: packed.version };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The npm running this (npm's scripts set npm_execpath), else the one on PATH. */
function npm(args: string[], cwd: string) {
  return process.env.npm_execpath
    ? execa(process.execPath, [process.env.npm_execpath, ...args], { cwd })
    : execa("npm", args, { cwd });
}

/** The shared libraries a program loads, and its loader, as ldd resolves them on this machine. */
export async function sharedLibraries(program: string): Promise<string[]> {
  const { stdout } = await execa("ldd", [program]);
  return parseLdd(stdout);
}

/** ldd's output -> the absolute paths it names ("libc.so.6 => /lib/.../libc.so.6 (0x…)", "/lib64/ld-linux… (0x…)"). */
export function parseLdd(output: string): string[] {
  const paths = new Set<string>();
  for (const line of output.split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line.trim());
    if (match?.[1]) paths.add(match[1]);
  }
  return [...paths].sort();
}

async function etcFile(root: string, name: string, text: string): Promise<string> {
  const path = join(root, "etc", name);
  if ((await readFile(path, "utf8").catch(() => "")) !== text) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return path;
}
