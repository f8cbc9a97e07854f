import { lifecycleIds, providerIds, providers } from "../../clusters/registry.ts";
import { UsageError } from "../../lib/errors.ts";
import { parseTimeoutScale, readSettings } from "../../lib/settings.ts";
import { type Command, listValues, usageError } from "./args.ts";

/**
 * The flags `amc run` and `amc certify` share, and their translation into
 * the AMC_* variables the suites read (lib/settings.ts; docs/cli.md lists both). A flag overrides
 * the variable of the same meaning; variables without a flag pass through.
 */

export const runFlags = {
  cluster: { type: "string" },
  "cluster-name": { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  "storage-class": { type: "string", multiple: true },
  scenario: { type: "string", multiple: true },
  parallel: { type: "string" },
  timeout: { type: "string" },
  "report-dir": { type: "string" },
  image: { type: "string" },
  keep: { type: "boolean" },
  "fault-mode": { type: "string", multiple: true },
  "fault-node": { type: "string" },
  "failover-budget": { type: "string" },
  "allow-node-faults": { type: "boolean" },
  "node-fail-command": { type: "string" },
  "node-restore-command": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The providers of the registry, one line each, with their static facts. */
const providersHelp = providerIds
  .map((id) => {
    const provider = providers[id];
    const fidelity =
      provider?.facts.fidelity === "detected"
        ? "fidelity from its nodes"
        : `${provider?.facts.fidelity} fidelity`;
    return `                                     ${id}: ${provider?.summary} (${fidelity})`;
  })
  .join("\n");

export const runFlagsHelp = `cluster:
  --cluster ${providerIds.join("|").padEnd(22)} where to run (default: local, or kubeconfig with --kubeconfig/--context)
${providersHelp}
  --cluster-name NAME              ${lifecycleIds().join(" or ")}: use (or start) this named cluster and leave it running;
                                   without it the run starts a cluster of its own and removes it at the end
  --keep                           leave the cluster the run starts running (local: named "amc")
  --kubeconfig FILE                kubeconfig of an existing cluster (AMC_KUBECONFIG)
  --context NAME                   its context (AMC_KUBE_CONTEXT)

what to run:
  --scenario ID                    only this scenario (repeatable, or comma-separated); default: every one
  --parallel N                     at most N scenario cases at a time per access mode (default 32); 1: one by one
  --timeout FACTORx                multiply every wait's timeout, e.g. 2x or 0.5x (default 1x); the waits
                                   differ (a decision 2 min, a handoff 8 min), so a factor, not seconds
  --image IMAGE                    the pods' image (default alpine)

node failure (rwo-node-loss, rwo-node-loss-force-delete, rwo-node-out-of-service; they fail a node):
  --fault-mode MODE                kubelet-stopped or powered-off (repeatable); default: every mode the cluster has
  --fault-node NODE                the only node to fail (default: the first node pods go to, by name,
                                   and on the suite's own clusters a second one, in another zone, at once)
  --failover-budget SECONDS        how long a path may take to get the workload writing elsewhere (default 120)
  --allow-node-faults              an existing cluster (kubeconfig): the opt-in to fail one of its nodes, with
  --node-fail-command CMD          a shell command that fails node {node} (also $AMC_NODE), e.g. a cloud CLI call,
  --node-restore-command CMD       and one that brings it back (safe to run on a healthy node); without all
                                   three these scenarios are not applicable there (docs/existing-clusters.md)

output:
  --report-dir DIR                 where the records and reports go (default ./reports)

Progress: on a terminal the running cases stay on screen with their elapsed time; elsewhere (CI) each case
prints a line when it starts and ends. Every wait longer than 15 s says what it waits for and for how long.`;

export interface RunFlagValues {
  cluster?: string;
  "cluster-name"?: string;
  kubeconfig?: string;
  context?: string;
  "storage-class"?: string[];
  scenario?: string[];
  parallel?: string;
  timeout?: string;
  "report-dir"?: string;
  image?: string;
  keep?: boolean;
  "fault-mode"?: string[];
  "fault-node"?: string;
  "failover-budget"?: string;
  "allow-node-faults"?: boolean;
  "node-fail-command"?: string;
  "node-restore-command"?: string;
}

/** The AMC_* variables for these flags; a usage error names the flag and what it takes. */
export function runEnvironment(command: Command, values: RunFlagValues): Record<string, string> {
  const env: Record<string, string> = {};
  const fail = (message: string) => usageError(command, message);

  const explicit = values.cluster;
  if (explicit !== undefined && !providerIds.includes(explicit)) {
    throw fail(`--cluster ${explicit}: expected one of ${providerIds.join(", ")}`);
  }
  const wantsKubeconfig = values.kubeconfig !== undefined || values.context !== undefined;
  const cluster = explicit ?? (wantsKubeconfig ? "kubeconfig" : undefined);
  if (wantsKubeconfig && cluster !== "kubeconfig") {
    throw fail(`--kubeconfig and --context are for --cluster kubeconfig, not ${cluster}`);
  }
  if (cluster) env.AMC_CLUSTER = cluster;
  if (values.kubeconfig !== undefined) env.AMC_KUBECONFIG = values.kubeconfig;
  if (values.context !== undefined) env.AMC_KUBE_CONTEXT = values.context;

  const name = values["cluster-name"];
  if (name !== undefined) {
    if (!providers[cluster ?? "local"]?.lifecycle) {
      throw fail(
        `--cluster-name is for clusters amc can start (${lifecycleIds().join(", ")}); use --context`,
      );
    }
    env.AMC_CLUSTER_NAME = name;
  }
  if (values.keep) env.AMC_KEEP = "1";

  const classes = listValues(values["storage-class"]);
  if (classes.length > 0) env.AMC_STORAGE_CLASSES = classes.join(",");
  const wanted = listValues(values.scenario);
  if (wanted.length > 0) env.AMC_SCENARIOS = [...new Set(wanted)].join(",");
  if (values.parallel !== undefined) env.AMC_PARALLEL = values.parallel;
  if (values.timeout !== undefined) {
    // The flag says what it is, a factor: "2x"; the variable takes the bare number.
    const label = `--timeout ${values.timeout}`;
    const factor = values.timeout.endsWith("x") ? values.timeout : "not a factor";
    env.AMC_TIMEOUT_SCALE = String(asFlagError(fail, () => parseTimeoutScale(factor, label)));
  }
  if (values["report-dir"] !== undefined) env.AMC_REPORT_DIR = values["report-dir"];
  if (values.image !== undefined) env.AMC_IMAGE = values.image;
  const modes = listValues(values["fault-mode"]);
  if (modes.length > 0) env.AMC_FAULT_MODES = [...new Set(modes)].join(",");
  if (values["fault-node"] !== undefined) env.AMC_FAULT_NODE = values["fault-node"];
  if (values["failover-budget"] !== undefined) env.AMC_FAILOVER_BUDGET = values["failover-budget"];
  if (values["allow-node-faults"]) env.AMC_ALLOW_NODE_FAULTS = "1";
  if (values["node-fail-command"] !== undefined) env.AMC_NODE_FAIL_COMMAND = values["node-fail-command"];
  if (values["node-restore-command"] !== undefined)
    env.AMC_NODE_RESTORE_COMMAND = values["node-restore-command"];

  // The one check of every setting (lib/settings.ts), with the flags' names in its messages.
  asFlagError(fail, () => readSettings({ ...process.env, ...env }, flagOf));
  return env;
}

/** The flag each variable comes from, for messages. */
const flagOf = {
  AMC_SCENARIOS: "--scenario",
  AMC_PARALLEL: "--parallel",
  AMC_FAULT_MODES: "--fault-mode",
  AMC_FAILOVER_BUDGET: "--failover-budget",
};

/** A setting's usage error as the command's: with its usage line and where its help is. */
function asFlagError<T>(fail: (message: string) => UsageError, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof UsageError) throw fail(error.message);
    throw error;
  }
}
