import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { cacheRoot } from "../../../lib/cache-dir.ts";
import { InfrastructureError } from "../../../lib/errors.ts";
import { withLock } from "../../../lib/lock.ts";
import { heartbeat, say, timed } from "../../../lib/progress.ts";
import type { ComponentId } from "../../binaries/components.ts";
import { downloadModule } from "../../binaries/go-build.ts";
import { pins } from "../../binaries/pins.ts";
import { type ResolvedComponent, resolveComponents } from "../../binaries/resolve.ts";
import { requireDocker } from "../docker.ts";
import { alreadyBuilt } from "./already-built.ts";
import { FileHashes } from "./file-hashes.ts";
import {
  buildContainerName,
  builtBy,
  busyboxApplets,
  contentKey,
  debian,
  debianImageDockerfile,
  etcdImageTag,
  interruptedBuildContainers,
  KIND_CLUSTER_LABEL,
  kubeadmImageNames,
  localTag,
  pauseTags,
  staticImageDockerfile,
} from "./image-set.ts";
import { assembleNodeImage } from "./node-image.ts";

/**
 * The air-gapped image build: every image a kind run needs, made on this
 * machine from Debian packages, the Go module proxy and this repository, with
 * nothing pulled from a registry. Each image is tagged by the hash of its
 * inputs (image-set.ts), so a second build reuses what Docker already has.
 */

export interface KindImages {
  /** The kind node image (kubelet, kubeadm, containerd; control-plane images preloaded). */
  node: string;
  /** Pods' image: Debian's busybox-static (`sh`, `sleep`). */
  workload: string;
  csiDriver: string;
  csiProvisioner: string;
  csiAttacher: string;
  /**
   * Upstream's csi-driver-host-path and node-driver-registrar, built from
   * their release archives (AMC_UPSTREAM_SRC); absent when the archives are
   * not there, with the reason in `hostpathMissing`.
   */
  hostpath?: string;
  nodeDriverRegistrar?: string;
  hostpathMissing?: string;
}

const scope = "kind images";
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");

export function buildKindImages(env: NodeJS.ProcessEnv = process.env): Promise<KindImages> {
  return underBuildLock(env, "building the kind images", async (root, work) => {
    const bins = await resolveComponents([
      "kubernetes",
      "kubernetes-node",
      "etcd",
      "kind",
      "local-path-provisioner",
      "csi-provisioner",
      "csi-attacher",
      "csi-spec",
      "kubelet-plugin-registration",
    ]);
    return buildImages(root, work, bins);
  });
}

/**
 * Only upstream's hostpath images (for a user who gave every other image):
 * the Debian root filesystem they stand on, and the two programs.
 */
export function buildHostpathImages(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Pick<KindImages, "hostpath" | "nodeDriverRegistrar" | "hostpathMissing">> {
  return underBuildLock(env, "building the hostpath images", async (root, work) =>
    hostpathImages(work, await rootfsImage(root)),
  );
}

/**
 * Runs a build under the build lock, with what an interrupted build left
 * removed, fresh build contexts, and the remembered file hashes saved after.
 */
export async function underBuildLock<T>(
  env: NodeJS.ProcessEnv,
  what: string,
  build: (root: string, work: BuildContext) => Promise<T>,
): Promise<T> {
  await requireDocker();
  const root = join(cacheRoot(env), "kind-images");
  return withLock(scope, join(root, "build.lock"), what, async () => {
    await removeInterruptedBuilds();
    const work: BuildContext = { dir: join(root, "contexts"), hashes: await FileHashes.open(root) };
    await rm(work.dir, { recursive: true, force: true });
    try {
      return await build(root, work);
    } finally {
      await work.hashes.save();
    }
  });
}

/** Where the build contexts go, and the remembered hashes of the files they hold. */
export interface BuildContext {
  dir: string;
  hashes: FileHashes;
}

async function buildImages(
  root: string,
  work: BuildContext,
  bins: Record<ComponentId, ResolvedComponent>,
): Promise<KindImages> {
  const rootfs = await rootfsImage(root);
  const busybox = await busyboxOf(root, rootfs);

  const kube = await buildFromFiles(work, "kube", pins.kubernetes, debianImageDockerfile(rootfs), {
    "usr/local/bin/kube": file(bins.kubernetes, "kube"),
    "usr/local/bin/kube-node": file(bins["kubernetes-node"], "kube-node"),
    ...links("usr/local/bin", "kube", [
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kubectl",
    ]),
    ...links("usr/local/bin", "kube-node", ["kube-proxy"]),
  });
  const etcd = await singleProgramImage(work, bins.etcd, "etcd");
  const pause = await buildFromFiles(
    work,
    "pause",
    pauseTags.at(-1) ?? "",
    staticImageDockerfile(["/pause"], "65535:65535"),
    {
      pause: await compilePause(root),
    },
  );
  const workload = await buildFromFiles(work, "busybox", "debian", staticImageDockerfile(["sh"]), {
    "bin/busybox": busybox,
    ...links("bin", "busybox", busyboxApplets),
  });
  const localPath = await singleProgramImage(work, bins["local-path-provisioner"], "local-path-provisioner");
  const csiProvisioner = await singleProgramImage(work, bins["csi-provisioner"], "csi-provisioner");
  const csiAttacher = await singleProgramImage(work, bins["csi-attacher"], "csi-attacher");
  const csiDriver = await buildFromFiles(
    work,
    "csi-driver",
    "dev",
    debianImageDockerfile(rootfs, ["node", "/opt/amc-csi/clusters/csi-driver/main.ts"]),
    await csiDriverFiles(bins),
  );

  const names = kubeadmImageNames(pins.kubernetes, etcdImageTag, pauseTags);
  const nodeBase = await nodeBaseImage(work, rootfs, bins.kind);
  const node = await assembleNodeImage({
    base: nodeBase,
    binaries: {
      "/usr/local/lib/amc/kube": file(bins.kubernetes, "kube"),
      "/usr/local/lib/amc/kube-node": file(bins["kubernetes-node"], "kube-node"),
    },
    links: {
      "/usr/bin/kubectl": "/usr/local/lib/amc/kube",
      "/usr/bin/kubelet": "/usr/local/lib/amc/kube-node",
      "/usr/bin/kubeadm": "/usr/local/lib/amc/kube-node",
    },
    kubernetesVersion: pins.kubernetes,
    files: {
      "/kind/manifests/default-storage.yaml": await localPathManifest(localPath, workload),
    },
    images: [
      { image: kube, names: names.kube },
      { image: etcd, names: names.etcd },
      { image: pause, names: names.pause },
      // The local-path provisioner and its helper run before any `kind load`.
      { image: localPath, names: [] },
      { image: workload, names: [] },
    ],
    tagFor: (key) => localTag("kind-node", pins.kubernetes, key),
  });
  say(scope, `node image ${node}`);
  return { node, workload, csiDriver, csiProvisioner, csiAttacher, ...(await hostpathImages(work, rootfs)) };
}

/**
 * hostpathplugin on the Debian root filesystem (it runs losetup, findmnt and
 * tar, as upstream's alpine image provides them) and node-driver-registrar as
 * a static image, both with upstream's entry points. Their sources are release
 * archives outside the repository: without them the kind cluster goes without
 * the hostpath classes, and says why.
 */
async function hostpathImages(
  work: BuildContext,
  rootfs: string,
): Promise<Pick<KindImages, "hostpath" | "nodeDriverRegistrar" | "hostpathMissing">> {
  let bins: Record<ComponentId, ResolvedComponent>;
  try {
    bins = await resolveComponents(["csi-hostpath", "csi-node-driver-registrar"]);
  } catch (error) {
    return { hostpathMissing: (error as Error).message };
  }
  const hostpath = await buildFromFiles(
    work,
    "hostpathplugin",
    pins.csiHostpath,
    debianImageDockerfile(rootfs, ["/hostpathplugin"]),
    { hostpathplugin: file(bins["csi-hostpath"], "hostpathplugin") },
  );
  const nodeDriverRegistrar = await buildFromFiles(
    work,
    "csi-node-driver-registrar",
    pins.nodeDriverRegistrar,
    staticImageDockerfile(["/csi-node-driver-registrar"]),
    { "csi-node-driver-registrar": file(bins["csi-node-driver-registrar"], "csi-node-driver-registrar") },
  );
  return { hostpath, nodeDriverRegistrar };
}

/** Debian's static busybox, out of the root filesystem image: kept per image (copying it out is a container start). */
export async function busyboxOf(root: string, rootfs: string): Promise<string> {
  const dir = join(root, "busybox", rootfs.replace(/[^a-zA-Z0-9.-]/g, "_"));
  if (!existsSync(join(dir, "busybox"))) {
    await extractFromImage(rootfs, "/usr/bin/busybox", join(dir, "busybox.partial"));
    await rename(join(dir, "busybox.partial"), join(dir, "busybox"));
  }
  return join(dir, "busybox");
}

/**
 * Containers an interrupted build left (the lock says no build is running
 * now). The label alone does not tell them: a kind node container inherits it
 * from the node image the build committed, so a container is the build's only
 * when it also has a build container's name and is no kind node.
 */
export async function removeInterruptedBuilds(): Promise<void> {
  const { stdout } = await execa("docker", [
    "ps",
    "--all",
    "--filter",
    `label=${builtBy}`,
    "--format",
    `{{.ID}}\t{{.Names}}\t{{.Label "${KIND_CLUSTER_LABEL}"}}`,
  ]);
  const ids = interruptedBuildContainers(stdout);
  if (ids.length === 0) return;
  say(scope, `removing ${ids.length} container(s) an interrupted image build left`);
  await execa("docker", ["rm", "--force", "--volumes", ...ids]);
}

function file(component: ResolvedComponent, name: string): string {
  return join(component.dir, name);
}

/** An image of one static program of a component, run by its name. */
function singleProgramImage(
  work: BuildContext,
  component: ResolvedComponent,
  program: string,
): Promise<string> {
  return buildFromFiles(work, program, component.version, staticImageDockerfile([program]), {
    [`usr/local/bin/${program}`]: file(component, program),
  });
}

/** Symlinks inside an image: `{ "bin/sh": "busybox" }` style entries, marked with a "->" prefix. */
export function links(dir: string, target: string, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [`${dir}/${name}`, `->${target}`]));
}

/**
 * Builds `amc.local/<name>:<version>-<key>` from a Dockerfile and a map of
 * image paths to host files (or "->target" symlinks), unless Docker has it.
 */
export async function buildFromFiles(
  work: BuildContext,
  name: string,
  version: string,
  dockerfile: string,
  files: Readonly<Record<string, string>>,
): Promise<string> {
  const parts: Record<string, string> = { Dockerfile: dockerfile };
  for (const [path, source] of Object.entries(files)) {
    parts[path] = source.startsWith("->") ? source : await work.hashes.hash(source);
  }
  const tag = localTag(name, version, contentKey(parts));
  if (await alreadyBuilt(tag)) return tag;
  const context = join(work.dir, name);
  await mkdir(join(context, "rootfs"), { recursive: true });
  for (const [path, source] of Object.entries(files)) {
    const target = join(context, "rootfs", path);
    await mkdir(dirname(target), { recursive: true });
    if (source.startsWith("->")) await symlink(source.slice(2), target);
    else await copyFile(source, target);
  }
  await writeFile(join(context, "Dockerfile"), dockerfile);
  await timed(scope, `building ${tag}`, () => dockerBuild(context, tag));
  return tag;
}

export async function dockerBuild(
  context: string,
  tag: string,
  buildArgs: Record<string, string> = {},
): Promise<void> {
  const args = ["build", "--quiet", "--tag", tag, "--label", builtBy];
  for (const [key, value] of Object.entries(buildArgs)) args.push("--build-arg", `${key}=${value}`);
  // --quiet keeps the log short; the heartbeat says the build is still going.
  const stop = heartbeat(scope, (elapsed) => `docker build of ${tag}: ${elapsed}`);
  try {
    await execa("docker", [...args, context], { stderr: "inherit" });
  } finally {
    stop();
  }
}

/** The Debian root filesystem, from debootstrap (Debian's packages only). */
export async function rootfsImage(root: string): Promise<string> {
  const key = contentKey({ suite: debian.suite, mirror: debian.mirror, packages: debian.packages.join(",") });
  const tag = localTag("debian", debian.suite, key);
  if (await alreadyBuilt(tag)) return tag;
  await requireDebootstrap();
  const dir = join(root, "rootfs"); // under the build lock: a leftover is an interrupted build's
  await rm(dir, { recursive: true, force: true });
  try {
    await timed(scope, `debootstrap ${debian.suite} (a minute or two)`, () =>
      execa(
        "debootstrap",
        ["--variant=minbase", `--include=${debian.packages.join(",")}`, debian.suite, dir, debian.mirror],
        { stdout: "ignore", stderr: "inherit" },
      ),
    );
    await rm(join(dir, "var/cache/apt/archives"), { recursive: true, force: true });
    await rm(join(dir, "var/lib/apt/lists"), { recursive: true, force: true });
    await mkdir(join(dir, "var/lib/apt/lists/partial"), { recursive: true });
    await timed(scope, `importing ${tag}`, () =>
      execa("sh", ["-c", `tar -C "${dir}" -c . | docker import - "${tag}"`], { stdout: "ignore" }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return tag;
}

async function requireDebootstrap(): Promise<void> {
  const found = await execa("debootstrap", ["--version"], { reject: false });
  if (found.exitCode !== 0) {
    throw new InfrastructureError(
      "the air-gapped kind images are built with debootstrap, which is not installed (Debian/Ubuntu: apt-get install debootstrap); as root",
    );
  }
}

/** kind's node base: kind's own base files (from the pinned kind module) on Debian's packages. */
async function nodeBaseImage(work: BuildContext, rootfs: string, kind: ResolvedComponent): Promise<string> {
  const context = join(work.dir, "node-base");
  await mkdir(context, { recursive: true });
  const kindModule = await downloadModule("sigs.k8s.io/kind", kind.version, context);
  await cp(join(kindModule.Dir, "images/base/files"), join(context, "files"), { recursive: true });
  await execa("chmod", ["-R", "u+w", context]);
  await rm(join(context, "files/LICENSES"), { recursive: true, force: true });
  const dockerfile = await readFile(join(here, "node-base.Dockerfile"), "utf8");
  await writeFile(join(context, "Dockerfile"), dockerfile);
  const parts: Record<string, string> = { Dockerfile: dockerfile, rootfs, kind: kind.version };
  for (const path of await listFiles(join(context, "files"))) {
    parts[relative(context, path)] = await work.hashes.hash(path);
  }
  const tag = localTag("kind-node-base", kind.version, contentKey(parts));
  if (await alreadyBuilt(tag)) return tag;
  await timed(scope, `building ${tag} (Debian packages: systemd, containerd, runc, CNI plugins)`, () =>
    dockerBuild(context, tag, { ROOTFS: rootfs }),
  );
  return tag;
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function extractFromImage(image: string, path: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const name = buildContainerName();
  const { stdout: id } = await execa("docker", ["create", "--name", name, "--label", builtBy, image, "true"]);
  try {
    await execa("docker", ["cp", `${id.trim()}:${path}`, target]);
  } finally {
    await execa("docker", ["rm", id.trim()], { reject: false });
  }
}

/** The pause program, compiled from the pinned Kubernetes source (build/pause/linux/pause.c). */
async function compilePause(root: string): Promise<string> {
  const version = pauseTags.at(-1);
  // Compiled once per Kubernetes pin and pause version, and kept (the build lock is held).
  const dir = join(root, "pause", `${pins.kubernetes}-${version}`);
  const output = join(dir, "pause");
  if (existsSync(output)) return output;
  await mkdir(dir, { recursive: true });
  const kubernetes = await downloadModule("k8s.io/kubernetes", pins.kubernetes, dir);
  await execa("gcc", [
    "-Os",
    "-static",
    `-DVERSION=v${version}`,
    "-o",
    `${output}.partial`,
    join(kubernetes.Dir, "build/pause/linux/pause.c"),
  ]).catch((error: Error) => {
    throw new InfrastructureError(
      `compiling pause.c needs gcc with static glibc (apt-get install gcc libc6-dev): ${error.message}`,
    );
  });
  await rename(`${output}.partial`, output);
  return output;
}

/** The suite's CSI driver with what it imports, the protos it serves, and the node binary to run it. */
async function csiDriverFiles(bins: Record<string, ResolvedComponent>): Promise<Record<string, string>> {
  const files: Record<string, string> = {
    "usr/local/bin/node": process.execPath,
    "opt/amc-csi/package.json": join(here, "csi-driver-package.json"),
    "opt/amc-csi/lib/errors.ts": join(repoRoot, "lib/errors.ts"),
    "opt/amc-csi/protos/csi.proto": file(bins["csi-spec"] as ResolvedComponent, "csi.proto"),
    "opt/amc-csi/protos/pluginregistration.proto": file(
      bins["kubelet-plugin-registration"] as ResolvedComponent,
      "pluginregistration.proto",
    ),
  };
  for (const name of await readdir(join(repoRoot, "clusters/csi-driver"))) {
    if (name.endsWith(".ts") && !name.includes(".test.")) {
      files[`opt/amc-csi/clusters/csi-driver/${name}`] = join(repoRoot, "clusters/csi-driver", name);
    }
  }
  for (const path of await dependencyFiles(["@grpc/grpc-js", "@grpc/proto-loader"])) {
    files[`opt/amc-csi/${relative(repoRoot, path)}`] = path;
  }
  return files;
}

/** Every file of the given packages and of their dependencies, from this repository's node_modules. */
async function dependencyFiles(roots: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [...roots];
  const files: string[] = [];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = join(repoRoot, "node_modules", name);
    if (!existsSync(dir)) throw new InfrastructureError(`node_modules/${name} is missing: run npm ci`);
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    queue.push(...Object.keys(manifest.dependencies ?? {}));
    files.push(...(await listFiles(dir)));
  }
  return files;
}

async function localPathManifest(provisioner: string, helper: string): Promise<string> {
  const template = await readFile(join(repoRoot, "manifests/kind/local-path-storage.yaml"), "utf8");
  return template.replaceAll("{{provisionerImage}}", provisioner).replaceAll("{{helperImage}}", helper);
}
