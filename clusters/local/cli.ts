import { parseArgs } from "node:util";
import { cacheRoot } from "../../lib/cache-dir.ts";
import { UsageError } from "../../lib/errors.ts";
import { connect } from "../../lib/kube/client.ts";
import { isReady } from "../../lib/kube/nodes.ts";
import { ProvisioningError } from "../binaries/resolve.ts";
import { checkHealth, down, listClusters, localPaths, readLocalClusterState, up } from "./provider.ts";

const usage = `usage: npm run cluster -- <command> [name]

commands:
  up [name]       start the local cluster (default name "amc"), or reuse it when it is up and healthy
  status [name]   kubeconfig, nodes, CSI drivers, storage classes and process ids
  down [name]     stop every process of the cluster and remove its state
  list            the local clusters this machine has

exit codes: 0 done, 2 usage error, 3 infrastructure error (build, start, teardown)`;

async function status(name: string): Promise<number> {
  const state = await readLocalClusterState(localPaths(cacheRoot(), name).state);
  if (!state) {
    console.log(`local cluster "${name}": not found`);
    return 3;
  }
  const health = await checkHealth(name);
  console.log(
    `local cluster "${name}": ${health.healthy ? "healthy" : `NOT healthy (${health.problems.join("; ")})`}`,
  );
  console.log(`  kubeconfig:  ${state.kubeconfigPath}`);
  console.log(`  kubernetes:  ${state.kubernetesVersion ?? "unknown"}, fidelity control-plane (kwok nodes)`);
  console.log(`  created:     ${state.createdAt}${state.owner ? ` by test run pid ${state.owner.pid}` : ""}`);
  console.log("  control plane (kwokctl):");
  for (const [component, p] of Object.entries(health.controlPlane)) {
    console.log(`    ${component.padEnd(26)} pid ${p.pid}${p.running ? "" : " (not running)"}`);
  }
  console.log("  CSI processes:");
  for (const p of health.processes)
    console.log(`    ${p.name.padEnd(26)} pid ${p.pid}${p.running ? "" : " (not running)"}`);
  if (health.healthy) {
    const kube = connect(state.kubeconfigPath);
    const nodes = await kube.core.listNode();
    console.log("  nodes:");
    for (const node of nodes.items) {
      console.log(
        `    ${node.metadata?.name?.padEnd(26)} zone ${node.metadata?.labels?.["topology.kubernetes.io/zone"]}${isReady(node) ? "" : " (not Ready)"}`,
      );
    }
    const drivers = await kube.storage.listCSIDriver();
    console.log("  CSI drivers:");
    for (const d of drivers.items)
      console.log(`    ${d.metadata?.name?.padEnd(26)} attachRequired=${d.spec.attachRequired ?? true}`);
    const classes = await kube.storage.listStorageClass();
    console.log("  storage classes:");
    for (const c of classes.items) {
      console.log(`    ${c.metadata?.name?.padEnd(26)} provisioner ${c.provisioner}, ${c.volumeBindingMode}`);
    }
  }
  return health.healthy ? 0 : 3;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  const [command, name = "amc", ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
  switch (command) {
    case "up": {
      const handle = await up({ name });
      console.log(`KUBECONFIG=${handle.kubeconfigPath}`);
      return 0;
    }
    case "status":
      return status(name);
    case "down":
      await down(name);
      return 0;
    case "list":
      for (const cluster of await listClusters()) console.log(cluster);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"\n${usage}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error((error as Error).message);
    process.exitCode = 2;
  } else {
    console.error(error instanceof ProvisioningError ? error.message : error);
    process.exitCode = 3;
  }
}
