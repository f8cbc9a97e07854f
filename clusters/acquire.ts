import { randomBytes } from "node:crypto";
import { UsageError, up } from "./local/provider.ts";
import type { ClusterHandle } from "./types.ts";

/**
 * Picks the cluster the suites run against, from the environment:
 *  - AMC_CLUSTER=local (the default): the embedded local cluster. With
 *    AMC_LOCAL_CLUSTER=<name> it uses (or starts) that named cluster and leaves
 *    it running; without it, a cluster of its own that it removes at the end.
 * kind and existing clusters (kubeconfig) come with their providers.
 */
export async function acquireCluster(env: NodeJS.ProcessEnv = process.env): Promise<ClusterHandle> {
  const provider = env.AMC_CLUSTER ?? "local";
  switch (provider) {
    case "local": {
      const named = env.AMC_LOCAL_CLUSTER;
      if (named) return up({ name: named });
      return up({ name: `amc-${randomBytes(3).toString("hex")}`, ephemeral: true });
    }
    default:
      throw new UsageError(
        `AMC_CLUSTER=${provider}: unknown cluster provider (this version supports: local)`,
      );
  }
}
