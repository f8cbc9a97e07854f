import { runClusterName } from "../../app/acquire-cluster.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import { down, kindClusters, status, up } from "./provider.ts";

/**
 * `npm run kind -- up|down|list [name]`: a kind cluster for the suites, kept
 * running between runs (AMC_CLUSTER=kind AMC_KIND_CLUSTER=<name> npm run test:kind).
 */
const usage = "usage: npm run kind -- up [name] | down <name> | status <name> | list";
const [command, name] = process.argv.slice(2);
try {
  switch (command) {
    case "up": {
      const handle = await up({ name: name ?? runClusterName(), ephemeral: false });
      console.log(`kind cluster "${handle.name}" (${handle.kubernetesVersion}) is up`);
      console.log(`kubeconfig: ${handle.kubeconfigPath}`);
      console.log(`nodes: ${handle.nodes.map((n) => `${n.name} (${n.zone ?? "no zone"})`).join(", ")}`);
      break;
    }
    case "down":
      if (!name) throw new UsageError(usage);
      await down(name);
      break;
    case "status": {
      if (!name) throw new UsageError(usage);
      const report = await status(name);
      console.log(report.text);
      if (!report.healthy) process.exit(3);
      break;
    }
    case "list":
      for (const cluster of await kindClusters()) console.log(cluster);
      break;
    default:
      throw new UsageError(usage);
  }
} catch (error) {
  // Exit codes as amc documents them: 2 usage, 3 infrastructure (Docker, kind, the cluster).
  if (error instanceof UsageError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error instanceof InfrastructureError ? error.message : error);
  process.exit(3);
}
