import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Command, parseCommandArgs, usageError } from "./args.ts";
import { exitCodes } from "./exit-codes.ts";

/**
 * `amc cluster up|down|status|list [name]`: the cluster providers' own
 * command lines (clusters/<provider>/cli.ts), run as they are so that they
 * keep their output and exit codes.
 */

export const clusterCommand: Command = {
  name: "cluster",
  usage: "usage: amc cluster up|down|status|list [name] [--provider local|kind]",
  help: `usage: amc cluster up|down|status|list [name] [--provider local|kind]

Starts, stops or inspects a cluster to run against, and leaves it running between runs
(amc run --cluster-name NAME uses it).

  up [name]      start the cluster, or reuse it when it is up (local: default name "amc";
                 kind: default a new name amc-<hex>, printed)
  status [name]  local: kubeconfig, nodes, CSI drivers, storage classes; kind: its nodes (name required)
  down [name]    stop it and remove its state (kind: name required)
  list           the clusters of this provider on this machine

  --provider local|kind   local: the embedded cluster (real control plane, simulated nodes; default);
                          kind: real kubelets in Docker (images built here: npm run kind:images)

exit codes: 0 done, 2 usage error, 3 infrastructure error`,
};

const flags = {
  provider: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const actions = ["up", "down", "status", "list"];

function providerCli(provider: string): string {
  return fileURLToPath(new URL(`../../clusters/${provider}/cli.ts`, import.meta.url));
}

export async function cluster(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(clusterCommand, args, flags, true);
  if (values.help) {
    console.log(clusterCommand.help);
    return 0;
  }
  const provider = values.provider ?? "local";
  if (provider !== "local" && provider !== "kind") {
    throw usageError(clusterCommand, `--provider ${provider}: expected local or kind`);
  }
  const [action, ...names] = positionals;
  if (!action) throw usageError(clusterCommand, "which one: up, down, status or list?");
  if (!actions.includes(action)) {
    throw usageError(clusterCommand, `unknown action ${action}; expected one of ${actions.join(", ")}`);
  }
  if (names.length > 1)
    throw usageError(clusterCommand, `one cluster name at a time, not ${names.join(" ")}`);
  const cli = providerCli(provider);
  const child = spawn(process.execPath, [cli, action, ...names], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      resolve(signal === "SIGINT" ? exitCodes.interrupted : (code ?? exitCodes.infrastructure)),
    );
  });
}
