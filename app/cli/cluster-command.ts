import { lifecycleIds, providerOf } from "../../clusters/registry.ts";
import { readSettings } from "../../lib/settings.ts";
import { type Command, parseCommandArgs, usageError } from "./args.ts";
import { exitCodes } from "./exit-codes.ts";

/**
 * `amc cluster up|down|status|list [name] --cluster <provider>`: the
 * lifecycle of every provider that has one (clusters/registry.ts), the same
 * commands and exit codes for each.
 */

const providersHelp = () => lifecycleIds().join("|");

export const clusterCommand: Command = {
  name: "cluster",
  get usage() {
    return `usage: amc cluster up|down|status|list [name] [--cluster ${providersHelp()}]`;
  },
  get help() {
    return `${this.usage}

Starts, stops or inspects a cluster to run against, and leaves it running between runs
(amc run --cluster-name NAME uses it).

  up [name]      start the cluster, or reuse it when it is up (local: default name "amc";
                 kind: default a new name amc-<hex>, printed)
  status [name]  its health, kubeconfig and nodes (kind: name required)
  down [name]    stop it and remove its state (kind: name required)
  list           the clusters of this provider on this machine

  --cluster ${providersHelp()}   ${lifecycleIds()
    .map((id) => `${id}: ${providerOf(id).summary}`)
    .join("\n                          ")}
                          (default local)

exit codes: 0 done, 2 usage error, 3 infrastructure error (status: the cluster is missing or not healthy)`;
  },
};

const flags = {
  cluster: { type: "string" },
  // The flag's name before the registry; kept so that existing scripts go on working.
  provider: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const actions = ["up", "down", "status", "list"];

export async function cluster(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(clusterCommand, args, flags, true);
  if (values.help) {
    console.log(clusterCommand.help);
    return exitCodes.ok;
  }
  if (values.cluster !== undefined && values.provider !== undefined) {
    throw usageError(clusterCommand, "--provider is the old name of --cluster: give one of them");
  }
  const flag = values.provider !== undefined ? "--provider" : "--cluster";
  const id = values.cluster ?? values.provider ?? "local";
  const lifecycle = lifecycleIds().includes(id) ? providerOf(id).lifecycle : undefined;
  if (!lifecycle) {
    throw usageError(clusterCommand, `${flag} ${id}: expected one of ${lifecycleIds().join(", ")}`);
  }
  const [action, given, ...extra] = positionals;
  if (!action) throw usageError(clusterCommand, "which one: up, down, status or list?");
  if (!actions.includes(action)) {
    throw usageError(clusterCommand, `unknown action ${action}; expected one of ${actions.join(", ")}`);
  }
  if (extra.length > 0) {
    throw usageError(clusterCommand, `one cluster name at a time, not ${[given, ...extra].join(" ")}`);
  }
  const name = given ?? lifecycle.defaultName;
  const named = () => {
    if (!name) throw usageError(clusterCommand, `${action} --cluster ${id}: which cluster? name it`);
    return name;
  };
  switch (action) {
    case "up": {
      const handle = await lifecycle.up(name, readSettings());
      console.log(`${id} cluster "${handle.name}" (${handle.kubernetesVersion}) is up`);
      console.log(`nodes: ${handle.nodes.map((n) => `${n.name} (${n.zone ?? "no zone"})`).join(", ")}`);
      console.log(`KUBECONFIG=${handle.kubeconfigPath}`);
      return exitCodes.ok;
    }
    case "down":
      await lifecycle.down(named());
      return exitCodes.ok;
    case "status": {
      const status = await lifecycle.status(named());
      console.log(status.text);
      return status.healthy ? exitCodes.ok : exitCodes.infrastructure;
    }
    default:
      for (const cluster of await lifecycle.list()) console.log(cluster);
      return exitCodes.ok;
  }
}
