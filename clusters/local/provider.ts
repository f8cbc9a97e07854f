import { access, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VersionApi } from "@kubernetes/client-node";
import { cacheRoot } from "../../lib/cache-dir.ts";
import type { ClusterHandle, ClusterNode } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { withRetry } from "../../lib/kube/retry.ts";
import { withLock } from "../../lib/lock.ts";
import {
  currentProcess,
  isRunning,
  type MentioningProcess,
  type ProcessRecord,
  pidAlive,
  processesMentioning,
  signal,
  startDetached,
  stopProcess,
} from "../../lib/processes.ts";
import { formatDuration, say, timed } from "../../lib/progress.ts";
import { waitForPath } from "../../lib/wait-for-path.ts";
import { components } from "../binaries/components.ts";
import { resolveComponent, resolveComponents } from "../binaries/resolve.ts";
import { waitForSchedulableNodes } from "../schedulable-nodes.ts";
import { csiProcesses, type ProcessSpec } from "./csi-processes.ts";
import {
  type ControlPlaneBinaries,
  clusterDir,
  createCluster,
  deleteCluster,
  heartbeatTiming,
  kubeconfigPath,
  kwokctlConfigFingerprint,
} from "./kwokctl.ts";
import { componentPids } from "./kwokctl-components.ts";
import { renderCSIDriver, renderCSINode, renderNode, renderStorageClass } from "./objects.ts";
import { type LocalStorageClass, localStorageClassCopies, MAX_CLASS_COPIES } from "./storage.ts";
import { downComponents, type SupervisionReport } from "./supervision.ts";
import { readSupervision } from "./supervisor.ts";
import { startSupervisor } from "./supervisor-process.ts";
import { localNodes } from "./topology.ts";

/**
 * The embedded local cluster: kwokctl's binary runtime (real etcd, API
 * server, scheduler and controller-manager, simulated nodes) plus the CSI
 * storage of clusters/local/storage.ts as host processes. `up` reuses a
 * healthy cluster of the same name; `down` stops every process by its record
 * and then checks that nothing mentioning the cluster's directories is left.
 * A supervisor process per cluster (supervisor.ts) starts again any component
 * that exits; `down` stops it first.
 */

const scope = "local";

export interface LocalClusterState {
  name: string;
  phase: "creating" | "ready";
  createdAt: string;
  kubeconfigPath: string;
  kubernetesVersion?: string;
  /** The process that created the cluster for itself (a test run); it is torn down when that process is gone. */
  owner?: { pid: number; startTicks: string };
  /** The CSI processes as first started; the supervisor's report has the ones running now. */
  processes: ProcessRecord[];
  /** The cluster's supervisor (supervisor.ts), part of the cluster: the cluster is not healthy without it. */
  supervisor?: ProcessRecord;
  nodes: Required<ClusterNode>[];
  /** kwokctlConfigFingerprint() when it was created (absent: an older amc's); another one is not reused. */
  configFingerprint?: string;
  /** The copies of the three families' storage classes it carries (storage.ts; absent: one, as every older amc's). */
  classCopies?: number;
  /** The names of its storage classes (absent: an amc's before the zonal class, which is not reused). */
  classes?: string[];
}

/** "4 storage classes", "31 storage classes (10 copies of the three families' and the zonal one)". */
export function describeClasses(copies: number): string {
  const count = localStorageClassCopies(copies).length;
  return copies === 1
    ? `${count} storage classes`
    : `${count} storage classes (${copies} copies of the three families' and the zonal one)`;
}

export function localPaths(root: string, name: string) {
  const own = join(root, "local-clusters", name);
  const kwokWorkdir = join(root, "kwok");
  return {
    kwokWorkdir,
    kwokClusterDir: clusterDir(kwokWorkdir, name),
    kubeconfig: kubeconfigPath(kwokWorkdir, name),
    own,
    state: join(own, "state.json"),
    supervision: join(own, "supervision.json"),
    kwokctlConfig: join(own, "kwokctl.yaml"),
    csi: join(own, "csi"),
    logs: join(own, "logs"),
  };
}

export function checkClusterName(name: string): void {
  if (!/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/.test(name)) {
    throw new UsageError(
      `invalid cluster name "${name}": use 1 to 20 lowercase letters, digits and dashes, starting and ending with a letter or digit`,
    );
  }
}

async function readState(path: string): Promise<LocalClusterState | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as LocalClusterState;
  } catch {
    return undefined;
  }
}

async function writeState(path: string, state: LocalClusterState): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** What the local cluster runs (kind's node programs and images are not among them). */
const localClusterComponents = [
  "kubernetes",
  "etcd",
  "kwok",
  "csi-provisioner",
  "csi-attacher",
  "csi-spec",
] as const;

async function controlPlaneBinaries() {
  const resolved = await resolveComponents(localClusterComponents);
  const bin = (id: keyof typeof resolved, file: string) => join(resolved[id].dir, file);
  const binaries: ControlPlaneBinaries = {
    kwokctl: bin("kwok", "kwokctl"),
    kwok: bin("kwok", "kwok"),
    kubeApiserver: bin("kubernetes", "kube-apiserver"),
    kubeControllerManager: bin("kubernetes", "kube-controller-manager"),
    kubeScheduler: bin("kubernetes", "kube-scheduler"),
    kubectl: bin("kubernetes", "kubectl"),
    etcd: bin("etcd", "etcd"),
  };
  return {
    binaries,
    csiProto: bin("csi-spec", "csi.proto"),
    csiProvisioner: bin("csi-provisioner", "csi-provisioner"),
    csiAttacher: bin("csi-attacher", "csi-attacher"),
  };
}

async function serverVersion(kube: Kube): Promise<string> {
  const version = await kube.config.makeApiClient(VersionApi).getCode();
  return version.gitVersion;
}

export interface Health {
  healthy: boolean;
  problems: string[];
  controlPlane: Record<string, { pid: number; running: boolean }>;
  processes: { name: string; pid: number; running: boolean }[];
  /** The supervisor's process, and what it last recorded of each component. */
  supervisor?: { pid: number; running: boolean };
  supervision?: SupervisionReport;
  /** Set when the supervisor is all that is wrong: `up` starts a new one rather than a new cluster. */
  onlySupervisorDown?: boolean;
}

/**
 * The CSI processes running now: a process the supervisor started again
 * replaces the state file's record of the same name.
 */
export function currentProcesses(
  state: Pick<LocalClusterState, "processes">,
  supervision: SupervisionReport | undefined,
): ProcessRecord[] {
  return state.processes.map((record) => {
    const now = supervision?.components.find((c) => c.kind === "csi" && c.name === record.name);
    return now && now.pid > 0 ? { ...record, pid: now.pid, startTicks: now.startTicks } : record;
  });
}

export async function checkHealth(name: string, root = cacheRoot()): Promise<Health> {
  const paths = localPaths(root, name);
  const state = await readState(paths.state);
  const problems: string[] = [];
  if (!state) problems.push("no state file");
  else if (state.phase !== "ready") problems.push(`phase is ${state.phase}`);
  // Which components are down, and since when, as the supervisor saw them.
  const supervision = await readSupervision(paths.supervision);
  const down = supervision ? downComponents(supervision, Date.now()) : new Map<string, string>();
  const notRunning = (name: string, otherwise: string) => {
    problems.push(down.get(name) ?? otherwise);
    down.delete(name);
  };
  const controlPlane: Health["controlPlane"] = {};
  for (const [component, pid] of Object.entries(await componentPids(paths.kwokClusterDir))) {
    const running = await pidAlive(pid);
    controlPlane[component] = { pid, running };
    if (!running) notRunning(component, `${component} (pid ${pid}) is not running`);
  }
  if (Object.keys(controlPlane).length === 0) problems.push("no control-plane processes recorded by kwokctl");
  const processes = [];
  for (const record of state ? currentProcesses(state, supervision) : []) {
    const running = await isRunning(record);
    processes.push({ name: record.name, pid: record.pid, running });
    if (!running)
      notRunning(record.name, `${record.name} (pid ${record.pid}) is not running; log: ${record.logFile}`);
  }
  let supervisor: Health["supervisor"];
  let supervisorProblem: string | undefined;
  if (state?.phase === "ready") {
    if (!state.supervisor) supervisorProblem = "no supervisor recorded (a cluster of an older amc)";
    else {
      supervisor = { pid: state.supervisor.pid, running: await isRunning(state.supervisor) };
      if (!supervisor.running)
        supervisorProblem = `the supervisor (pid ${state.supervisor.pid}) is not running, so a component that exits stays down; log: ${state.supervisor.logFile}`;
    }
  }
  if (problems.length === 0) {
    try {
      await serverVersion(connect(paths.kubeconfig));
    } catch (error) {
      problems.push(`the API server does not answer: ${(error as Error).message}`);
    }
  }
  const onlySupervisorDown = problems.length === 0 && supervisorProblem !== undefined;
  if (supervisorProblem) problems.push(supervisorProblem);
  return {
    healthy: problems.length === 0,
    problems,
    controlPlane,
    processes,
    ...(supervisor ? { supervisor } : {}),
    ...(supervision ? { supervision } : {}),
    ...(onlySupervisorDown ? { onlySupervisorDown } : {}),
  };
}

function handleFor(state: LocalClusterState, teardownOnRelease: boolean, root: string): ClusterHandle {
  return {
    provider: "local",
    name: state.name,
    kubeconfigPath: state.kubeconfigPath,
    kubernetesVersion: state.kubernetesVersion ?? "unknown",
    fidelity: "control-plane",
    nodes: state.nodes,
    controllerManagerFlags: {
      "node-monitor-grace-period": `${heartbeatTiming.kubeControllerManagerNodeMonitorGracePeriodMilliseconds / 1000}s`,
      "node-monitor-period": `${heartbeatTiming.kubeControllerManagerNodeMonitorPeriodMilliseconds / 1000}s`,
    },
    ownedByRun: teardownOnRelease,
    release: async () => {
      if (teardownOnRelease) await down(state.name, root);
      else
        say(
          scope,
          `leaving local cluster "${state.name}" running (amc cluster down ${state.name} removes it)`,
        );
    },
  };
}

export interface UpOptions {
  name: string;
  /** Tear the cluster down on release, and let a later run reap it if this process dies first. */
  ephemeral?: boolean;
  root?: string;
  /**
   * Copies of the three families' storage classes (storage.ts), each with
   * its own driver and sidecars: 1 (the default) is the four classes. A
   * running cluster with another number, or other classes, is created again.
   */
  classCopies?: number;
}

/** Brings the cluster up, or reuses it when it is already up and healthy. */
export async function up(options: UpOptions): Promise<ClusterHandle> {
  checkClusterName(options.name);
  const copies = options.classCopies ?? 1;
  if (!Number.isInteger(copies) || copies < 1 || copies > MAX_CLASS_COPIES) {
    throw new UsageError(
      `AMC_LOCAL_CLASS_COPIES=${copies}: a local cluster carries 1 to ${MAX_CLASS_COPIES} copies of its three families' storage classes`,
    );
  }
  const classes = localStorageClassCopies(copies);
  const root = options.root ?? cacheRoot();
  const paths = localPaths(root, options.name);
  const inputs = await controlPlaneBinaries();
  await reapAbandoned(root);
  return withLock(
    scope,
    clusterLock(root, options.name),
    `starting local cluster ${options.name}`,
    async () => {
      const existing = await readState(paths.state);
      const fingerprint = kwokctlConfigFingerprint();
      if (existing && existing.configFingerprint !== fingerprint) {
        // Its flags are not this amc's: kwok would not let a node fail, the heartbeats would have other timing.
        say(
          scope,
          `local cluster "${options.name}" was created with another configuration (${existing.configFingerprint ? `fingerprint ${existing.configFingerprint}, now ${fingerprint}` : "by an older amc"}); recreating it`,
        );
        await teardown(options.name, root);
      } else if (
        existing &&
        ((existing.classCopies ?? 1) !== copies ||
          existing.classes?.join() !== classes.map((c) => c.className).join())
      ) {
        // Another set of classes is another cluster: the run's classes are every class the cluster has.
        say(
          scope,
          `local cluster "${options.name}" carries ${describeClasses(existing.classCopies ?? 1)}, ${describeClasses(copies)} asked for (AMC_LOCAL_CLASS_COPIES=${copies}${copies === 1 ? ", the default" : ""}); recreating it`,
        );
        await teardown(options.name, root);
      } else if (existing) {
        const health = await checkHealth(options.name, root);
        if (health.healthy) {
          say(
            scope,
            `reusing running local cluster "${options.name}" (kubeconfig ${existing.kubeconfigPath})`,
          );
          return handleFor(existing, false, root);
        }
        if (health.onlySupervisorDown) {
          say(scope, `local cluster "${options.name}": ${health.problems.join("; ")}; starting a supervisor`);
          existing.supervisor = await startSupervisor(supervisorPaths(paths));
          await writeState(paths.state, existing);
          say(
            scope,
            `reusing running local cluster "${options.name}" (kubeconfig ${existing.kubeconfigPath})`,
          );
          return handleFor(existing, false, root);
        }
        say(
          scope,
          `local cluster "${options.name}" is not healthy (${health.problems.join("; ")}); recreating it`,
        );
        await teardown(options.name, root);
      } else if (await pathExists(paths.kwokClusterDir)) {
        await teardown(options.name, root); // kwokctl state without ours: an interrupted creation
      }
      const started = Date.now();
      say(
        scope,
        `creating local cluster "${options.name}" (kwok binary runtime, ${localNodes.length} simulated nodes, ${describeClasses(copies)})`,
      );
      await mkdir(paths.csi, { recursive: true });
      await mkdir(paths.logs, { recursive: true });
      const owner = options.ephemeral ? await currentProcess() : undefined;
      const state: LocalClusterState = {
        name: options.name,
        phase: "creating",
        createdAt: new Date().toISOString(),
        kubeconfigPath: paths.kubeconfig,
        ...(owner ? { owner } : {}),
        processes: [],
        nodes: [...localNodes],
        configFingerprint: fingerprint,
        classCopies: copies,
        classes: classes.map((c) => c.className),
      };
      await writeState(paths.state, state);
      try {
        await timed(scope, "starting the control plane with kwokctl", () =>
          createCluster(inputs.binaries, paths.kwokWorkdir, options.name, paths.kwokctlConfig),
        );
        const kube = connect(paths.kubeconfig);
        state.kubernetesVersion = await withRetry("get version", () => serverVersion(kube));
        await timed(scope, "creating nodes, CSINodes, CSIDrivers and StorageClasses", () =>
          createClusterObjects(kube, classes),
        );
        await timed(scope, `starting the CSI drivers and sidecars of ${classes.length} classes`, () =>
          startCsiProcesses(classes, state, paths, inputs),
        );
        await timed(scope, "starting the supervisor (restarts a component that exits)", async () => {
          state.supervisor = await startSupervisor(supervisorPaths(paths));
          await writeState(paths.state, state);
        });
        await timed(scope, `waiting for ${localNodes.length} nodes to be Ready and schedulable`, () =>
          waitForNodesSchedulable(kube),
        );
        state.phase = "ready";
        await writeState(paths.state, state);
      } catch (error) {
        say(
          scope,
          `creating local cluster "${options.name}" failed: ${(error as Error).message}; tearing it down`,
        );
        await teardown(options.name, root).catch((e) =>
          say(scope, `teardown after failure: ${(e as Error).message}`),
        );
        throw error;
      }
      say(
        scope,
        `local cluster "${options.name}" is up in ${formatDuration(Date.now() - started)}: Kubernetes ${state.kubernetesVersion}, kubeconfig ${paths.kubeconfig}`,
      );
      return handleFor(state, options.ephemeral ?? false, root);
    },
  );
}

function supervisorPaths(paths: ReturnType<typeof localPaths>) {
  return {
    state: paths.state,
    kwokClusterDir: paths.kwokClusterDir,
    report: paths.supervision,
    logs: paths.logs,
  };
}

async function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function createClusterObjects(kube: Kube, classes: readonly LocalStorageClass[]): Promise<void> {
  await Promise.all([
    ...classes.map(async (storageClass) => {
      await kube.storage.createCSIDriver({ body: renderCSIDriver(storageClass) });
      await kube.storage.createStorageClass({ body: renderStorageClass(storageClass) });
    }),
    ...localNodes.map(async (node) => {
      await kube.core.createNode({ body: renderNode(node, classes) });
      await kube.storage.createCSINode({ body: renderCSINode(node, classes) });
    }),
  ]);
}

/**
 * Starts every class's driver at once, then, once the drivers serve their
 * sockets, every sidecar at once: one class after another, a cluster of many
 * classes would wait out each driver's start in turn. Each batch is in the
 * state file before anything waits, so that a failed start is torn down whole.
 */
async function startCsiProcesses(
  classes: readonly LocalStorageClass[],
  state: LocalClusterState,
  paths: ReturnType<typeof localPaths>,
  inputs: Awaited<ReturnType<typeof controlPlaneBinaries>>,
): Promise<void> {
  const specs = csiProcesses(classes, {
    csiDir: paths.csi,
    kubeconfig: paths.kubeconfig,
    csiProto: inputs.csiProto,
    csiProvisioner: inputs.csiProvisioner,
    csiAttacher: inputs.csiAttacher,
    node: process.execPath,
  });
  const start = async (batch: ProcessSpec[]) => {
    const started = await Promise.allSettled(
      batch.map((spec) =>
        startDetached(spec.name, spec.command, spec.args, join(paths.logs, `${spec.name}.log`)),
      ),
    );
    for (const result of started) if (result.status === "fulfilled") state.processes.push(result.value);
    await writeState(paths.state, state);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  };
  const drivers = specs.filter((spec) => spec.serves);
  await start(drivers);
  // Node's start-up is CPU-bound: many drivers on few cores take their turns.
  const timeoutMs = 20_000 + 2_000 * drivers.length;
  await Promise.all(
    drivers.map((spec) => (spec.serves ? waitForPath(spec.serves, timeoutMs, spec.name) : undefined)),
  );
  await start(specs.filter((spec) => !spec.serves));
}

async function waitForNodesSchedulable(kube: Kube): Promise<void> {
  const wanted = new Set(localNodes.map((n) => n.name));
  await waitForSchedulableNodes(kube, {
    description: `nodes ${[...wanted].join(", ")} Ready and untainted`,
    timeoutMs: 60_000,
    among: (node) => wanted.has(node.metadata?.name ?? ""),
    count: wanted.size,
  });
}

/** Tears down a cluster created for a test run whose process is gone (killed, crashed). */
async function reapAbandoned(root: string): Promise<void> {
  const names = await readdir(join(root, "local-clusters")).catch(() => [] as string[]);
  for (const name of names) {
    const state = await readState(localPaths(root, name).state);
    if (state?.owner && !(await isRunning(state.owner))) {
      say(
        scope,
        `removing local cluster "${name}": the test run that created it (pid ${state.owner.pid}) is gone`,
      );
      // Another cluster's trouble must not stop this one from starting; it is reported and retried next time.
      await down(name, root).catch((error: Error) =>
        say(scope, `could not remove "${name}": ${error.message}`),
      );
    }
  }
}

export interface DownReport {
  stopped: { name: string; pid: number; how: string }[];
  leftoversKilled: MentioningProcess[];
}

/** The programs a local cluster runs: kwokctl's control plane, the CSI sidecars, and the suite's CSI driver. */
const clusterPrograms = new Set([
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "kwok-controller",
  "csi-provisioner",
  "csi-attacher",
]);

function isClusterProgram(candidate: MentioningProcess): boolean {
  return (
    clusterPrograms.has(candidate.program) ||
    candidate.cmdline.includes("csi-driver/main.ts") ||
    candidate.cmdline.includes("local/supervisor-main.ts")
  );
}

const clusterLock = (root: string, name: string) => join(root, "locks", `local-cluster-${name}.lock`);

/** Stops everything the cluster started and removes its directories; throws if any process survives. */
export async function down(name: string, root = cacheRoot()): Promise<DownReport> {
  checkClusterName(name);
  return withLock(scope, clusterLock(root, name), `using local cluster ${name}`, () => teardown(name, root));
}

async function teardown(name: string, root: string): Promise<DownReport> {
  const paths = localPaths(root, name);
  const state = await readState(paths.state);
  const report: DownReport = { stopped: [], leftoversKilled: [] };
  // The supervisor first: it would start again what is stopped next.
  if (state?.supervisor) {
    const how = await stopProcess(state.supervisor);
    report.stopped.push({ name: "supervisor", pid: state.supervisor.pid, how });
    say(scope, `supervisor (pid ${state.supervisor.pid}): ${how}`);
  }
  // Those the supervisor started again, and the first ones in case one of those is still running.
  const supervision = await readSupervision(paths.supervision);
  const records = state ? currentProcesses(state, supervision) : [];
  for (const first of state?.processes ?? [])
    if (!records.some((r) => r.pid === first.pid && r.startTicks === first.startTicks)) records.push(first);
  // Side by side: each gets its grace period at the same time.
  await Promise.all(
    records.map(async (record) => {
      const started = Date.now();
      const how = await stopProcess(record);
      report.stopped.push({ name: record.name, pid: record.pid, how });
      say(scope, `${record.name} (pid ${record.pid}): ${how} in ${formatDuration(Date.now() - started)}`);
    }),
  );
  if (await pathExists(paths.kwokClusterDir)) {
    const kwok = await resolveComponent(components.kwok);
    const pids = await componentPids(paths.kwokClusterDir);
    await deleteCluster(join(kwok.dir, "kwokctl"), paths.kwokWorkdir, name, paths.kwokctlConfig).catch(
      (error) => say(scope, `kwokctl delete cluster ${name}: ${(error as Error).message}`),
    );
    for (const [component, pid] of Object.entries(pids))
      report.stopped.push({ name: component, pid, how: "kwokctl" });
  }
  // A program of the cluster's still running from its directories escaped its records: kill it.
  // Anything else there (a shell, a log viewer) is the user's and is left alone.
  const leftovers = async () => {
    const found = [
      ...(await processesMentioning(paths.own)),
      ...(await processesMentioning(paths.kwokClusterDir)),
    ];
    return { ours: found.filter(isClusterProgram), theirs: found.filter((p) => !isClusterProgram(p)) };
  };
  for (const leftover of (await leftovers()).ours) {
    if (signal(leftover.pid, "SIGKILL")) report.leftoversKilled.push(leftover);
  }
  await rm(paths.kwokClusterDir, { recursive: true, force: true });
  await rm(paths.own, { recursive: true, force: true });
  const { ours: survivors, theirs } = await leftovers();
  for (const other of theirs)
    say(scope, `left alone: pid ${other.pid} (${other.cmdline}) uses the cluster's directory`);
  if (survivors.length > 0) {
    throw new InfrastructureError(
      `processes of local cluster "${name}" survived teardown: ${survivors.map((s) => `${s.pid} ${s.cmdline}`).join("; ")}`,
      "AMC_TEARDOWN",
    );
  }
  say(
    scope,
    `local cluster "${name}" is down: ${report.stopped.length} processes stopped, ${report.leftoversKilled.length} leftovers killed`,
  );
  return report;
}

export async function listClusters(root = cacheRoot()): Promise<string[]> {
  return readdir(join(root, "local-clusters")).catch(() => [] as string[]);
}

export { readState as readLocalClusterState };
