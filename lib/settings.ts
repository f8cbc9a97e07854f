import { UsageError } from "./errors.ts";
import { listSetting } from "./list-setting.ts";
import { scenarioIds, unknownScenarioIds } from "./scenario/scenarios.ts";

/**
 * Every AMC_* variable, read and checked here and nowhere else. The CLI turns
 * its flags into these variables (a flag overrides its variable) and reads
 * them back through `readSettings`, so the checks run once, with the same
 * words, for a flag and for a variable; the suites' set-up, the providers and
 * the suites take the typed result. A bad value is a UsageError (exit 2)
 * naming the variable, or the flag when the value came from one.
 */

export interface ClusterSettings {
  /** AMC_CLUSTER: the provider (clusters/registry.ts), default local. */
  provider: string;
  /** AMC_CLUSTER_NAME (or the provider's own AMC_LOCAL_CLUSTER, AMC_KIND_CLUSTER): use or start this named cluster and leave it running. */
  name?: string;
  /** AMC_KEEP=1: leave a cluster the run starts running. */
  keep: boolean;
  /** AMC_KUBECONFIG and AMC_KUBE_CONTEXT: an existing cluster (provider kubeconfig). */
  kubeconfig?: string;
  context?: string;
  /**
   * AMC_LOCAL_CLASS_COPIES: how many copies of its three families' storage
   * classes a local cluster the run creates carries (unset: one, the four classes themselves),
   * each with a CSI driver of its own; for measuring how the suite scales with classes.
   */
  localClassCopies?: number;
}

export interface KindImages {
  /** AMC_KIND_NODE_IMAGE, AMC_KIND_CSI_DRIVER_IMAGE, AMC_KIND_CSI_PROVISIONER_IMAGE, AMC_KIND_CSI_ATTACHER_IMAGE. */
  node?: string;
  csiDriver?: string;
  csiProvisioner?: string;
  csiAttacher?: string;
  /**
   * AMC_KIND_HOSTPATH_IMAGE, AMC_KIND_NODE_DRIVER_REGISTRAR_IMAGE: upstream's
   * csi-driver-host-path and node-driver-registrar (with a registry:
   * registry.k8s.io/sig-storage/hostpathplugin:v1.18.0 and
   * csi-node-driver-registrar:v2.17.0); unset, built from AMC_UPSTREAM_SRC.
   */
  hostpath?: string;
  nodeDriverRegistrar?: string;
}

export interface Settings {
  cluster: ClusterSettings;
  /** AMC_STORAGE_CLASSES: the classes to test; empty means every class of the cluster. */
  storageClasses: string[];
  /** AMC_SCENARIOS: the scenarios to run, each a known id; empty means every scenario. */
  scenarios: string[];
  /** AMC_NODES: the nodes to place pods on, in this order; empty lets the suite choose. */
  nodes: string[];
  /** AMC_PARALLEL: at most this many scenario cases at a time per suite file. */
  parallel?: number;
  /** AMC_TIMEOUT_SCALE: multiplies every wait's timeout. */
  timeoutScale: number;
  /** AMC_REPORT_DIR: where records and reports go, default ./reports. */
  reportDir: string;
  /** AMC_IMAGE: the pods' image; unset, the cluster's own (kind's air-gapped image) or alpine. */
  image?: string;
  /**
   * AMC_POD_NAMESPACE, AMC_POD_NAME, AMC_POD_UID (the downward API, in
   * manifests/in-cluster/job.yaml and manifests/sonobuoy/amc.yaml): the pod
   * this run is in, so that a later run in another pod can tell from the API
   * that this one is gone (its pod deleted, or ended).
   */
  pod?: PodIdentity;
  /** AMC_PROFILE: the vendor profile `amc certify` checks the run against. */
  profile?: string;
  /** AMC_OUTCOME_FILE: where the suites' set-up tells `amc run` the run's id and why it could not start. */
  outcomeFile?: string;
  /** AMC_BIN_DIR: a directory of upstream binaries used as they are. */
  binDir?: string;
  /** AMC_CHROMIUM: the Chromium binary of the report's browser test. */
  chromium?: string;
  /**
   * AMC_KNOWN_DEVIATIONS=1 (the project's own `npm test` and `npm run test:kind`):
   * a deviation suites/known-deviations.ts lists passes its vitest case (the record still deviates).
   */
  knownDeviations: boolean;
  /**
   * AMC_UPSTREAM_SRC: the directory of upstream release archives the Go
   * module proxy does not serve (csi-driver-host-path, node-driver-registrar);
   * unset, `../shared/upstream-src` next to the checkout, then /work/shared/upstream-src.
   */
  upstreamSrc?: string;
  kindImages: KindImages;
  failover: FailoverSettings;
}

/** AMC_FAILOVER_BUDGET's default: twice the eviction's 60 s. */
export const DEFAULT_FAILOVER_BUDGET_MS = 120_000;

/** The node-failure scenarios (rwo-node-loss and its kin). */
export interface FailoverSettings {
  /**
   * AMC_FAILOVER_BUDGET (seconds, default 120: twice the eviction's 60 s): how long a path may take to
   * get the workload writing elsewhere, counted from the path's own start
   * (the fault; for force-delete, the force delete plus the attach/detach
   * controller's 6-minute wait). What has not happened by then is "not recovered".
   */
  budgetMs: number;
  /**
   * AMC_WRITER_TOLERATION (seconds, default 10; `default` leaves Kubernetes'
   * 300): the writer's tolerationSeconds for the unreachable and not-ready taints.
   */
  writerTolerationSeconds: number | "default";
  /** AMC_FAULT_MODES: the fault modes to run (kubelet-stopped, powered-off); empty means every one the cluster has. */
  modes: string[];
  /** AMC_FAULT_NODE: the node to fail; unset, the first node the suite places pods on. */
  node?: string;
  /**
   * AMC_ALLOW_NODE_FAULTS=1 with AMC_NODE_FAIL_COMMAND and AMC_NODE_RESTORE_COMMAND
   * (shell commands; {node} is the node's name, also in $AMC_NODE) and AMC_NODE_FAULT_MODE
   * (what the fail command does, default powered-off): the opt-in to fail a node of an
   * existing cluster (provider kubeconfig), and to take one of its zones
   * down (rwo-zone-failover's NoSchedule taint, which needs no command).
   */
  allowNodeFaults: boolean;
  failCommand?: string;
  restoreCommand?: string;
  commandMode?: string;
}

/** The flag a variable's value came from, when the CLI was given one, for messages. */
export type SettingSources = Partial<Record<string, string>>;

const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);

/** Whole number of at least 1. */
function parseAtLeastOne(value: string, label: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`${label}: expected a whole number of at least 1`);
  return Number(value);
}

/** A positive factor, "2" or "2x" or "0.5x". */
export function parseTimeoutScale(value: string, label: string): number {
  const factor = /^([0-9]+(?:\.[0-9]+)?)x?$/.exec(value)?.[1];
  if (!factor || Number(factor) <= 0) {
    throw new UsageError(`${label}: expected a factor such as 2x or 0.5x (it scales every wait)`);
  }
  return Number(factor);
}

/** `fromFlag`: the message names no variable, as the flag's own values are what was wrong. */
function parseScenarios(value: string | undefined, fromFlag: boolean): string[] {
  const wanted = listSetting(value);
  const unknown = unknownScenarioIds(wanted);
  if (unknown.length > 0) {
    throw new UsageError(
      `${fromFlag ? "" : "AMC_SCENARIOS: "}unknown scenario ${unknown.join(", ")}; known scenarios: ${scenarioIds.join(", ")}`,
    );
  }
  return [...new Set(wanted)];
}

function parseFlag(value: string | undefined, variable: string): boolean {
  if (value === undefined || value === "" || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw new UsageError(`${variable}=${value}: expected 1 or true (or 0, false)`);
}

/** Whole seconds, or `default` where `allowDefault`. */
function parseSeconds(value: string, label: string, allowDefault: boolean): number | "default" {
  if (allowDefault && value === "default") return "default";
  if (!/^[0-9]+$/.test(value)) {
    throw new UsageError(`${label}: expected whole seconds${allowDefault ? " or default" : ""}`);
  }
  return Number(value);
}

function readFailover(
  env: NodeJS.ProcessEnv,
  label: (variable: string, value: string) => string,
): FailoverSettings {
  const budget = nonEmpty(env.AMC_FAILOVER_BUDGET);
  const toleration = nonEmpty(env.AMC_WRITER_TOLERATION);
  const modes = listSetting(env.AMC_FAULT_MODES);
  const unknown = modes.filter((m) => m !== "kubelet-stopped" && m !== "powered-off");
  if (unknown.length > 0) {
    throw new UsageError(
      `${label("AMC_FAULT_MODES", unknown.join(","))}: unknown fault mode; known: kubelet-stopped, powered-off`,
    );
  }
  const commandMode = nonEmpty(env.AMC_NODE_FAULT_MODE);
  if (commandMode && commandMode !== "kubelet-stopped" && commandMode !== "powered-off") {
    throw new UsageError(
      `${label("AMC_NODE_FAULT_MODE", commandMode)}: expected kubelet-stopped or powered-off`,
    );
  }
  const optional = (key: string, value: string | undefined) => (nonEmpty(value) ? { [key]: value } : {});
  return {
    budgetMs: budget
      ? (parseSeconds(budget, label("AMC_FAILOVER_BUDGET", budget), false) as number) * 1000
      : DEFAULT_FAILOVER_BUDGET_MS,
    writerTolerationSeconds: toleration
      ? parseSeconds(toleration, label("AMC_WRITER_TOLERATION", toleration), true)
      : 10,
    modes,
    ...optional("node", env.AMC_FAULT_NODE),
    allowNodeFaults: parseFlag(env.AMC_ALLOW_NODE_FAULTS, "AMC_ALLOW_NODE_FAULTS"),
    ...optional("failCommand", env.AMC_NODE_FAIL_COMMAND),
    ...optional("restoreCommand", env.AMC_NODE_RESTORE_COMMAND),
    ...optional("commandMode", commandMode),
  };
}

/**
 * The settings of this process's environment. `sources` names the flag a
 * variable came from (`{ AMC_PARALLEL: "--parallel" }`), for messages.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env, sources: SettingSources = {}): Settings {
  // "--parallel 0" when the value came from a flag, "AMC_PARALLEL=0" otherwise.
  const label = (variable: string, value: string) =>
    sources[variable] ? `${sources[variable]} ${value}` : `${variable}=${value}`;
  const provider = nonEmpty(env.AMC_CLUSTER) ?? "local";
  const providerName =
    provider === "local" ? env.AMC_LOCAL_CLUSTER : provider === "kind" ? env.AMC_KIND_CLUSTER : undefined;
  const name = nonEmpty(env.AMC_CLUSTER_NAME) ?? nonEmpty(providerName);
  const kubeconfig = nonEmpty(env.AMC_KUBECONFIG);
  const context = nonEmpty(env.AMC_KUBE_CONTEXT);
  const parallel = nonEmpty(env.AMC_PARALLEL);
  const timeoutScale = nonEmpty(env.AMC_TIMEOUT_SCALE);
  const classCopies = nonEmpty(env.AMC_LOCAL_CLASS_COPIES);
  const optional = (key: string, value: string | undefined) => (nonEmpty(value) ? { [key]: value } : {});
  return {
    cluster: {
      provider,
      ...(name ? { name } : {}),
      keep: parseFlag(env.AMC_KEEP, "AMC_KEEP"),
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(context ? { context } : {}),
      ...(classCopies
        ? {
            localClassCopies: parseAtLeastOne(classCopies, label("AMC_LOCAL_CLASS_COPIES", classCopies)),
          }
        : {}),
    },
    storageClasses: listSetting(env.AMC_STORAGE_CLASSES),
    scenarios: parseScenarios(env.AMC_SCENARIOS, sources.AMC_SCENARIOS !== undefined),
    nodes: listSetting(env.AMC_NODES),
    ...(parallel ? { parallel: parseAtLeastOne(parallel, label("AMC_PARALLEL", parallel)) } : {}),
    timeoutScale: timeoutScale
      ? parseTimeoutScale(timeoutScale, label("AMC_TIMEOUT_SCALE", timeoutScale))
      : 1,
    reportDir: nonEmpty(env.AMC_REPORT_DIR) ?? "reports",
    ...optional("image", env.AMC_IMAGE),
    ...podOf(env),
    ...optional("profile", env.AMC_PROFILE),
    ...optional("outcomeFile", outcomeFileOf(env)),
    ...optional("binDir", env.AMC_BIN_DIR),
    ...optional("chromium", env.AMC_CHROMIUM),
    knownDeviations: parseFlag(env.AMC_KNOWN_DEVIATIONS, "AMC_KNOWN_DEVIATIONS"),
    ...optional("upstreamSrc", env.AMC_UPSTREAM_SRC),
    kindImages: {
      ...optional("node", env.AMC_KIND_NODE_IMAGE),
      ...optional("csiDriver", env.AMC_KIND_CSI_DRIVER_IMAGE),
      ...optional("csiProvisioner", env.AMC_KIND_CSI_PROVISIONER_IMAGE),
      ...optional("csiAttacher", env.AMC_KIND_CSI_ATTACHER_IMAGE),
      ...optional("hostpath", env.AMC_KIND_HOSTPATH_IMAGE),
      ...optional("nodeDriverRegistrar", env.AMC_KIND_NODE_DRIVER_REGISTRAR_IMAGE),
    },
    failover: readFailover(env, label),
  };
}

/**
 * AMC_OUTCOME_FILE alone: the suites' set-up reports through it why it could
 * not start, and the settings themselves may be what is wrong.
 */
export function outcomeFileOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return nonEmpty(env.AMC_OUTCOME_FILE);
}

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** The run's own pod: all three of AMC_POD_NAMESPACE, AMC_POD_NAME and AMC_POD_UID, or none. */
function podOf(env: NodeJS.ProcessEnv): { pod?: PodIdentity } {
  const parts = {
    namespace: nonEmpty(env.AMC_POD_NAMESPACE),
    name: nonEmpty(env.AMC_POD_NAME),
    uid: nonEmpty(env.AMC_POD_UID),
  };
  const given = Object.entries(parts).filter(([, value]) => value !== undefined);
  if (given.length === 0) return {};
  if (given.length < 3) {
    throw new UsageError(
      `AMC_POD_NAMESPACE, AMC_POD_NAME and AMC_POD_UID go together (the downward API sets all three); only ${given.map(([key]) => `AMC_POD_${key.toUpperCase()}`).join(", ")} set`,
    );
  }
  return { pod: parts as PodIdentity };
}
