import { randomBytes } from "node:crypto";
import { UsageError } from "../lib/errors.ts";
import { type Guardian, startGuardian } from "../lib/guardian.ts";
import { up } from "./local/provider.ts";
import type { ClusterHandle } from "./types.ts";

/**
 * Picks the cluster the suites run against, from the environment:
 *  - AMC_CLUSTER=local (the default): the embedded local cluster. With
 *    AMC_LOCAL_CLUSTER=<name> it uses (or starts) that named cluster and leaves
 *    it running; without it, a cluster of its own that it removes at the end,
 *    also when the run is interrupted or killed (a guardian process does it:
 *    the caller's, when it passes one, or one of its own).
 * kind and existing clusters (kubeconfig) come with their providers.
 */
export async function acquireCluster(
  env: NodeJS.ProcessEnv = process.env,
  guardian?: Guardian,
): Promise<ClusterHandle> {
  const provider = env.AMC_CLUSTER ?? "local";
  switch (provider) {
    case "local": {
      const named = env.AMC_LOCAL_CLUSTER;
      if (named) return up({ name: named });
      const name = `amc-${randomBytes(3).toString("hex")}`;
      // A guardian tears the cluster down if the run dies, from the start of `up` on.
      const ownGuardian = guardian ? undefined : startGuardian();
      (guardian ?? ownGuardian)?.update({ localCluster: name });
      const handle = await up({ name, ephemeral: true }).catch((error) => {
        ownGuardian?.dismiss(); // up tears down what it started when it fails
        throw error;
      });
      return {
        ...handle,
        release: async () => {
          await handle.release();
          ownGuardian?.dismiss();
        },
      };
    }
    default:
      throw new UsageError(
        `AMC_CLUSTER=${provider}: unknown cluster provider (this version supports: local)`,
      );
  }
}
