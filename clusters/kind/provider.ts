import { existsSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VersionApi } from "@kubernetes/client-node";
import { execa } from "execa";
import { cacheRoot } from "../../lib/cache-dir.ts";
import type { ClusterHandle } from "../../lib/cluster/contract.ts";
import { clusterNodeOf } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { isReady, unschedulableReason } from "../../lib/kube/nodes.ts";
import { heartbeat, say, timed } from "../../lib/progress.ts";
import { components } from "../binaries/components.ts";
import { resolveComponent } from "../binaries/resolve.ts";
import { localStorageClasses } from "../local/storage.ts";
import { waitForSchedulableNodes } from "../schedulable-nodes.ts";
import {
  kindArgs,
  nodeIndexOf,
  podRoutes,
  renderBridgeCni,
  renderKindConfig,
  workerCount,
} from "./config.ts";
import { installCsiDrivers, sharedDataMount } from "./csi-install.ts";
import { imageExists, requireDocker } from "./docker.ts";
import {
  HOSTPATH_ATTACH_DRIVER,
  HOSTPATH_DRIVER,
  type HostpathImages,
  installHostpath,
} from "./hostpath-install.ts";
import { imagesToLoad, loadGroups } from "./image-load.ts";
import { buildHostpathImages, buildKindImages, type KindImages } from "./images/build.ts";
import { KIND_CLUSTER_LABEL } from "./images/image-set.ts";
import { detachVolumeLoopDevices, ensureLoopDeviceNodes } from "./loop-device-nodes.ts";
import type { KindImageSettings } from "./settings.ts";

/**
 * kind clusters with real kubelets (fidelity `full`): created with the kind
 * CLI from the images of settings.ts (built on this machine when not given),
 * with kind's `standard` class and the suite's three CSI classes installed.
 */

const scope = "kind";

export interface KindUpOptions {
  name: string;
  /** Delete the cluster on release (a run's own cluster). */
  ephemeral: boolean;
  /** The images given by settings (AMC_KIND_*_IMAGE, AMC_IMAGE); the others are built on this machine. */
  images?: KindImageSettings;
}

export function kindPaths(name: string, env: NodeJS.ProcessEnv = process.env) {
  const dir = join(cacheRoot(env), "kind-clusters", name);
  return {
    dir,
    kubeconfig: join(dir, "kubeconfig"),
    config: join(dir, "kind.yaml"),
    /** The node containers the kubeconfig was written for. */
    kubeconfigFor: join(dir, "kubeconfig.nodes"),
    shared: join(dir, "shared-volumes"),
  };
}

export function checkKindName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(name)) {
    throw new UsageError(
      `kind cluster name "${name}": use lowercase letters, digits and dashes (at most 41)`,
    );
  }
}

let kindPath: Promise<string> | undefined;

/** kind's binary, found in the cache (or built) once per process, not once per kind command. */
export function kindBinary(): Promise<string> {
  if (!kindPath) {
    kindPath = resolveComponent(components.kind).then((kind) => join(kind.dir, "kind"));
    kindPath.catch(() => {
      kindPath = undefined; // a failed build is tried again by the next command
    });
  }
  return kindPath;
}

async function kind(args: readonly string[], options: { progress?: string } = {}): Promise<string> {
  const binary = await kindBinary();
  const stop = options.progress
    ? heartbeat(scope, (elapsed) => `${options.progress}: ${elapsed}`)
    : () => undefined;
  try {
    const result = await execa(binary, [...args], { all: true, reject: false });
    if (result.exitCode !== 0) {
      throw new InfrastructureError(
        `kind ${args.slice(0, 2).join(" ")} failed (exit ${result.exitCode}):\n${result.all}`,
      );
    }
    return result.stdout;
  } finally {
    stop();
  }
}

export async function kindClusters(): Promise<string[]> {
  return (await kind(kindArgs.clusters())).split("\n").filter((line) => line && !line.startsWith("No kind"));
}

export async function up(options: KindUpOptions): Promise<ClusterHandle> {
  checkKindName(options.name);
  await requireDocker();
  const paths = kindPaths(options.name);
  // Whether the cluster exists is known before any image is built: a build must never touch a running cluster.
  const existing = await nodeContainers(options.name);
  const exists = existing.length > 0;
  const settings = await resolveImages(options.images ?? {});
  try {
    if (exists) {
      // An older amc's cluster has another layout (two workers in one zone): it cannot be made this one.
      if (existing.length !== workerCount + 1) {
        throw new UsageError(
          `kind cluster "${options.name}" has ${existing.length} node(s); this amc's has ${workerCount + 1} (a control plane and workers in two zones): remove it with \`amc cluster down ${options.name} --cluster kind\` and run again`,
        );
      }
      say(scope, `reusing kind cluster "${options.name}"`);
      await reuseKubeconfig(options.name, paths, existing);
    } else {
      await create(options.name, paths, settings);
    }
    const containers = await nodeContainers(options.name);
    await ensureLoopDeviceNodes(containers);
    if (settings.airGapped) await routePodSubnets(options.name, containers);
    // Also on a reused cluster: the images may have been rebuilt since. Only what a node lacks is sent.
    await loadImages(options.name, containers, [
      settings.workload,
      settings.csiDriver,
      settings.csiProvisioner,
      settings.csiAttacher,
      ...(settings.hostpath ? [settings.hostpath.hostpath, settings.hostpath.nodeDriverRegistrar] : []),
    ]);
    const kube = connect(paths.kubeconfig);
    const installed = await installCsiDrivers(kube, localStorageClasses, settings, 180_000);
    say(
      scope,
      installed === "applied"
        ? "installed the suite's CSI drivers; every node registered them"
        : "the suite's CSI drivers are installed as this run would install them, and registered on every node",
    );
    const nodes = await waitForWorkers(kube);
    if (settings.hostpath) {
      await timed(
        scope,
        `installing upstream's csi-driver-host-path (${HOSTPATH_DRIVER} node-local, ${HOSTPATH_ATTACH_DRIVER} attachable)`,
        () =>
          installHostpath(
            kube,
            settings.hostpath as HostpathImages,
            nodes.map((n) => n.name).sort(),
            180_000,
          ),
      );
    } else {
      say(scope, `without upstream's csi-driver-host-path classes: ${settings.hostpathMissing}`);
    }
    return {
      provider: "kind",
      name: options.name,
      kubeconfigPath: paths.kubeconfig,
      kubernetesVersion: (await kube.config.makeApiClient(VersionApi).getCode()).gitVersion,
      fidelity: "full",
      nodes,
      workloadImage: settings.workload,
      ownedByRun: options.ephemeral,
      release: async () => {
        if (options.ephemeral) await down(options.name);
        else
          say(
            scope,
            `leaving kind cluster "${options.name}" running (amc cluster down ${options.name} --cluster kind removes it)`,
          );
      },
    };
  } catch (error) {
    // What this call created (or a run's own cluster) goes with the failure; a cluster that was there before stays.
    if (options.ephemeral || !exists) {
      await down(options.name).catch((e: Error) =>
        say(scope, `could not delete "${options.name}": ${e.message}`),
      );
    }
    throw error;
  }
}

/**
 * The cluster's node containers, by kind's label: what `kind get clusters` and
 * `kind get nodes` read, in one Docker call instead of two kind runs (half a second each).
 */
async function nodeContainers(name: string): Promise<{ name: string; id: string }[]> {
  const { stdout } = await execa("docker", [
    "ps",
    "--all",
    "--filter",
    `label=${KIND_CLUSTER_LABEL}=${name}`,
    "--format",
    "{{.Names}}\t{{.ID}}",
  ]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [node = "", id = ""] = line.split("\t");
      return { name: node, id };
    });
}

/**
 * The kubeconfig of a reused cluster: the one written for these very node
 * containers is still right (kind maps the API server's port when it creates
 * them); otherwise kind writes it again.
 */
async function reuseKubeconfig(
  name: string,
  paths: ReturnType<typeof kindPaths>,
  nodes: readonly { id: string }[],
): Promise<void> {
  const identity = nodes
    .map((n) => n.id)
    .sort()
    .join(",");
  const recorded = await readFile(paths.kubeconfigFor, "utf8").catch(() => "");
  if (recorded === identity && existsSync(paths.kubeconfig)) return;
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.kubeconfig, await kind(kindArgs.kubeconfig(name)), { mode: 0o600 });
  await writeFile(paths.kubeconfigFor, identity);
}

/**
 * The air-gapped cluster's bridge CNI routes nothing between nodes: each node
 * gets the routes to the others' pod subnets (config.ts podRoutes), also on a
 * reused cluster (replaced, so a second time changes nothing).
 */
async function routePodSubnets(name: string, containers: readonly { name: string }[]): Promise<void> {
  const nodes = [];
  for (const container of containers) {
    const index = nodeIndexOf(name, container.name);
    const { stdout: address } = await execa("docker", [
      "inspect",
      "--format",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      container.name,
    ]);
    if (index !== undefined && address.trim())
      nodes.push({ container: container.name, index, address: address.trim() });
  }
  for (const [container, routes] of podRoutes(nodes)) {
    for (const route of routes) await execa("docker", ["exec", container, ...route]);
  }
}

/**
 * Loads images built here into the workers of a kind cluster (the in-cluster path's suite and
 * Sonobuoy): their pods never run on the control plane, which the suite's pods do not tolerate.
 */
export async function loadIntoKind(name: string, images: readonly string[]): Promise<void> {
  const workers = (await nodeContainers(name)).filter((n) => nodeIndexOf(name, n.name) !== 0);
  await loadImages(name, workers, images);
}

/** Loads into each node the images it lacks (image-load.ts), saying what it sends. */
async function loadImages(
  name: string,
  nodes: readonly { name: string }[],
  images: readonly string[],
): Promise<void> {
  const groups = loadGroups(
    await imagesToLoad(
      nodes.map((n) => n.name),
      images,
    ),
  );
  if (groups.length === 0) {
    say(scope, `every node has the ${images.length} images`);
    return;
  }
  for (const group of groups) {
    await timed(scope, `loading ${group.images.join(", ")} into ${group.nodes.join(", ")}`, () =>
      kind(kindArgs.load(name, group.images, group.nodes), { progress: "loading images" }),
    );
  }
}

type ResolvedImages = Required<Omit<KindImageSettings, "hostpath" | "nodeDriverRegistrar">> & {
  airGapped: boolean;
  /** Upstream's csi-driver-host-path images, or why there are none. */
  hostpath?: HostpathImages;
  hostpathMissing?: string;
};

async function resolveImages(settings: KindImageSettings): Promise<ResolvedImages> {
  const roles = ["node", "workload", "csiDriver", "csiProvisioner", "csiAttacher"] as const;
  const hostpathRoles = ["hostpath", "nodeDriverRegistrar"] as const;
  for (const role of [...roles, ...hostpathRoles]) {
    const image = settings[role];
    if (image) await ensureLocalImage(image);
  }
  const missing = roles.some((role) => settings[role] === undefined);
  const hostpathMissing = hostpathRoles.some((role) => settings[role] === undefined);
  // The whole set when one of the suite's own images is missing; upstream's hostpath images alone otherwise.
  const built: Partial<KindImages> | undefined = missing
    ? await buildKindImages()
    : hostpathMissing
      ? await buildHostpathImages()
      : undefined;
  const resolved = {
    node: settings.node ?? (built?.node as string),
    workload: settings.workload ?? (built?.workload as string),
    csiDriver: settings.csiDriver ?? (built?.csiDriver as string),
    csiProvisioner: settings.csiProvisioner ?? (built?.csiProvisioner as string),
    csiAttacher: settings.csiAttacher ?? (built?.csiAttacher as string),
    airGapped: settings.node === undefined,
  };
  const hostpath = settings.hostpath ?? built?.hostpath;
  const nodeDriverRegistrar = settings.nodeDriverRegistrar ?? built?.nodeDriverRegistrar;
  if (!hostpath || !nodeDriverRegistrar) {
    return { ...resolved, hostpathMissing: built?.hostpathMissing ?? "its images are not there" };
  }
  return {
    ...resolved,
    hostpath: {
      hostpath,
      nodeDriverRegistrar,
      csiProvisioner: resolved.csiProvisioner,
      csiAttacher: resolved.csiAttacher,
    },
  };
}

/** kind loads images from the local Docker: a given image must be there, or be pullable. */
async function ensureLocalImage(image: string): Promise<void> {
  if (await imageExists(image)) return;
  say(scope, `${image} is not in the local Docker: pulling it`);
  const pulled = await execa("docker", ["pull", image], { all: true, reject: false });
  if (pulled.exitCode !== 0) {
    throw new InfrastructureError(
      `image ${image} is not in the local Docker and cannot be pulled:\n${String(pulled.all).trim()}\n` +
        "Load or tag it locally (docker load, docker tag), point the setting at a mirror, or unset it to use the image amc builds on this machine.",
    );
  }
}

async function create(
  name: string,
  paths: ReturnType<typeof kindPaths>,
  images: ResolvedImages,
): Promise<void> {
  await mkdir(paths.shared, { recursive: true });
  const cniConfigs = [];
  for (let i = 0; i <= workerCount; i++) {
    const path = join(paths.dir, `cni-${i}.conflist`);
    await writeFile(path, renderBridgeCni(i));
    cniConfigs.push(path);
  }
  await writeFile(
    paths.config,
    renderKindConfig({
      sharedDataHostDir: paths.shared,
      sharedDataMount,
      ...(images.airGapped ? { airGapped: { cniConfigs } } : {}),
    }),
  );
  await timed(scope, `creating kind cluster "${name}" (node image ${images.node})`, () =>
    kind(kindArgs.create(name, images.node, paths.config, paths.kubeconfig), {
      progress: `creating kind cluster "${name}"`,
    }),
  );
}

/** The schedulable workers, once Ready (their CNI config is in place) and untainted. */
async function waitForWorkers(kube: Kube) {
  const workers = await waitForSchedulableNodes(kube, {
    description: `${workerCount} kind workers Ready and untainted`,
    timeoutMs: 180_000,
    among: (node) => !node.metadata?.labels?.["node-role.kubernetes.io/control-plane"],
    count: workerCount,
  });
  return workers.map(clusterNodeOf);
}

export async function down(name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const paths = kindPaths(name, env);
  await detachVolumeLoopDevices(await nodeContainers(name).catch(() => []));
  await timed(scope, `deleting kind cluster "${name}"`, () => kind(kindArgs.delete(name, paths.kubeconfig)));
  // The nodes write the shared volumes' data as root: a non-root user may not remove it.
  await rm(paths.dir, { recursive: true, force: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EACCES" && error.code !== "EPERM") throw error;
    say(scope, `could not remove ${paths.dir} (volume data the nodes wrote as root): remove it with sudo`);
  });
}

/** Whether the cluster exists and its nodes are Ready, for `amc cluster status NAME --cluster kind`. */
export async function status(name: string): Promise<{ healthy: boolean; text: string }> {
  if (!(await kindClusters()).includes(name))
    return { healthy: false, text: `kind cluster "${name}" does not exist` };
  const kubeconfig = await kind(kindArgs.kubeconfig(name));
  const kube = connectWith(kubeconfig);
  const nodes = (await kube.core.listNode()).items;
  const lines = nodes.map((node) => `${node.metadata?.name}: ${unschedulableReason(node) ?? "Ready"}`);
  const healthy = nodes.every(isReady);
  return {
    healthy,
    text: [`kind cluster "${name}"${healthy ? "" : " (not every node is Ready)"}`, ...lines].join("\n"),
  };
}

function connectWith(kubeconfigText: string): Kube {
  const path = join(tmpdir(), `amc-kind-status-${process.pid}.kubeconfig`);
  writeFileSync(path, kubeconfigText, { mode: 0o600 });
  try {
    return connect(path);
  } finally {
    rmSync(path, { force: true });
  }
}
