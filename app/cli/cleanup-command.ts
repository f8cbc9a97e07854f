import { providerOf } from "../../clusters/registry.ts";
import { removeAbandoned, removeRunObjects } from "../../lib/cleanup.ts";
import { InfrastructureError } from "../../lib/errors.ts";
import { connect } from "../../lib/kube/client.ts";
import { say } from "../../lib/progress.ts";
import { type ClusterSettings, readSettings } from "../../lib/settings.ts";
import { acquireCluster } from "../acquire-cluster.ts";
import { type Command, parseCommandArgs, usageError } from "./args.ts";
import { exitCodes } from "./exit-codes.ts";
import { runEnvironment } from "./run-options.ts";

/**
 * `amc cleanup`: removes what runs of this suite left on a cluster (killed
 * runs, runs whose own cleanup failed): everything labelled by the suite
 * whose run is gone, or, with --run, one run's objects. It reaches the
 * cluster as `amc run` does, and never starts one just to clean it.
 */

export const cleanupCommand: Command = {
  name: "cleanup",
  usage:
    "usage: amc cleanup [--run ID] [--cluster local|kind|kubeconfig] [--cluster-name NAME] [--kubeconfig FILE] [--context NAME]",
  help: `usage: amc cleanup [--run ID] [--cluster local|kind|kubeconfig] [--cluster-name NAME] [--kubeconfig FILE] [--context NAME]

Removes what runs of this suite left on a cluster: the namespaces (with their pods and claims, and
the volumes provisioned for them) and PriorityClasses labelled app.kubernetes.io/managed-by=
access-mode-conformance. Without --run, those of every run that is gone (its process ended on this
machine, or it started on another machine more than six hours ago); a live run's are kept. Nothing
without the suite's labels is touched. A cluster that does not answer is tried again for 2 minutes.

  --run ID                         only this run's objects, whether its process is alive or not
  --cluster local|kind|kubeconfig  the cluster, as for amc run (default: local, or kubeconfig with
                                   --kubeconfig/--context)
  --cluster-name NAME              local or kind: the named cluster (required: amc cleanup never starts a
                                   cluster; one a run started for itself goes with the run, or with
                                   amc cluster down NAME)
  --kubeconfig FILE                kubeconfig of an existing cluster (AMC_KUBECONFIG)
  --context NAME                   its context (AMC_KUBE_CONTEXT)

It prints what it removed, one object a line.

exit codes: 0 done (also when there was nothing to remove), 2 usage error, 3 the cluster cannot be
reached, or something is left (the message names it)`,
};

const flags = {
  run: { type: "string" },
  cluster: { type: "string" },
  "cluster-name": { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** A run id is a label value. */
const runIdPattern = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export async function cleanup(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(cleanupCommand, args, flags);
  if (values.help) {
    console.log(cleanupCommand.help);
    return exitCodes.ok;
  }
  const runId = values.run;
  if (runId !== undefined && !runIdPattern.test(runId)) {
    throw usageError(cleanupCommand, `--run ${runId}: not a run id (such as 20261121t121940-db37)`);
  }
  const { run: _run, help: _help, ...clusterFlags } = values;
  const env = runEnvironment(cleanupCommand, clusterFlags);
  const settings = readSettings({ ...process.env, ...env });
  const { provider, name } = settings.cluster;
  const lifecycle = providerOf(provider).lifecycle;
  if (lifecycle) {
    if (!name) {
      throw usageError(
        cleanupCommand,
        `which ${provider} cluster? name it with --cluster-name (amc cleanup never starts a cluster; amc cluster list${provider === "local" ? "" : ` --cluster ${provider}`} shows them)`,
      );
    }
    const status = await lifecycle.status(name);
    if (!status.healthy) {
      throw new InfrastructureError(
        `${provider} cluster "${name}" cannot be cleaned, it is not running or not healthy: ${status.text.split("\n")[0]}\n` +
          `amc cluster down ${name}${provider === "local" ? "" : ` --cluster ${provider}`} removes it with everything on it`,
      );
    }
  }
  const command = cleanupCommandLine(runId, settings.cluster);
  const handle = await acquireCluster(settings);
  try {
    const kube = connect(handle.kubeconfigPath);
    const where = `${handle.provider} cluster ${handle.name}`;
    if (runId) {
      const removed = await removeRunObjects(kube, runId, { command });
      for (const object of removed) console.log(`removed ${object}`);
      say(
        "cleanup",
        removed.length > 0
          ? `removed ${removed.length} object(s) of run ${runId} from ${where}`
          : `run ${runId} left nothing on ${where}`,
      );
    } else {
      const { removed, kept } = await removeAbandoned(kube, { command });
      for (const object of removed) console.log(`removed ${object}`);
      say(
        "cleanup",
        removed.length > 0
          ? `removed ${removed.length} object(s) of runs that are gone from ${where}`
          : `runs that are gone left nothing on ${where}`,
      );
      if (kept.length > 0) {
        say(
          "cleanup",
          `kept ${kept.length} object(s) of runs that are alive, or started on another machine less than six hours ago: ${kept.join(", ")} (amc cleanup --run ID removes one run's)`,
        );
      }
    }
  } finally {
    await handle.release();
  }
  return exitCodes.ok;
}

/**
 * The `amc cleanup` command line that reaches the same cluster as these
 * settings (and the cluster's actual name, when the provider chose it), for
 * the run `runId` or, without it, every run that is gone. Messages that say
 * what a cleanup left name it.
 */
export function cleanupCommandLine(
  runId: string | undefined,
  cluster: Pick<ClusterSettings, "provider" | "name" | "kubeconfig" | "context">,
  clusterName?: string,
): string {
  const words = ["amc", "cleanup", ...(runId ? ["--run", runId] : [])];
  if (cluster.provider === "kubeconfig") {
    if (cluster.kubeconfig) words.push("--kubeconfig", cluster.kubeconfig);
    if (cluster.context) words.push("--context", cluster.context);
    if (!cluster.kubeconfig && !cluster.context) words.push("--cluster", "kubeconfig");
  } else {
    if (cluster.provider !== "local") words.push("--cluster", cluster.provider);
    const name = clusterName ?? cluster.name;
    // The pod's own cluster has no name to give.
    if (name && cluster.provider !== "in-cluster") words.push("--cluster-name", name);
  }
  return words.map(shellWord).join(" ");
}

function shellWord(word: string): string {
  return /^[-A-Za-z0-9_./:=@,+]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
