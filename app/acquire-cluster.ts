import { randomBytes } from "node:crypto";
import { up as upKind } from "../clusters/kind/provider.ts";
import { acquireKubeconfigCluster } from "../clusters/kubeconfig/provider.ts";
import { up } from "../clusters/local/provider.ts";
import type { ClusterHandle } from "../lib/cluster/contract.ts";
import { UsageError } from "../lib/errors.ts";
import { type CleanupTask, type Guardian, startGuardian } from "./guardian/guardian.ts";

/**
 * Picks the cluster the suites run against, from the environment:
 *  - AMC_CLUSTER=local (the default): the embedded local cluster. With
 *    AMC_LOCAL_CLUSTER=<name> it uses (or starts) that named cluster and leaves
 *    it running; without it, a cluster of its own that it removes at the end,
 *    also when the run is interrupted or killed (a guardian process does it:
 *    the caller's, when it passes one, or one of its own).
 *  - AMC_CLUSTER=kubeconfig: an existing cluster, through AMC_KUBECONFIG,
 *    KUBECONFIG or ~/.kube/config and AMC_KUBE_CONTEXT (clusters/kubeconfig);
 *    never created nor deleted. The guardian removes the run's private copy of
 *    the kubeconfig if the run dies.
 *  - AMC_CLUSTER=kind: a kind cluster with real kubelets (clusters/kind). With
 *    AMC_KIND_CLUSTER=<name> it uses (or creates) that cluster and leaves it;
 *    without it, a cluster of its own, deleted at the end (guardian as for
 *    local) unless AMC_KEEP=1.
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
      const name = runClusterName();
      return guardedStart(guardian, { localCluster: name }, () => up({ name, ephemeral: true }));
    }
    case "kind": {
      const named = env.AMC_KIND_CLUSTER;
      const keep = env.AMC_KEEP === "1" || env.AMC_KEEP === "true";
      if (named) return upKind({ name: named, ephemeral: false, env });
      const name = runClusterName();
      // Kept clusters outlive the run, also when it dies.
      if (keep) return upKind({ name, ephemeral: false, env });
      return guardedStart(guardian, { kindCluster: name }, () => upKind({ name, ephemeral: true, env }));
    }
    case "kubeconfig": {
      // The private copy holds credentials: the guardian learns of it before the (slow) preflight.
      return acquireKubeconfigCluster(env, {
        onPrivateCopy: (dir) => guardian?.update({ removePaths: [dir] }),
      });
    }
    default:
      throw new UsageError(
        `AMC_CLUSTER=${provider}: unknown cluster provider (known: local, kind, kubeconfig)`,
      );
  }
}

/** A name of the run's own for a cluster it creates. */
export function runClusterName(): string {
  return `amc-${randomBytes(3).toString("hex")}`;
}

/**
 * Starts a cluster of the run's own under a guardian, which removes it if the
 * run dies, from the start of `start` on: the caller's guardian when it passes
 * one, else one of its own, dismissed when the handle is released. A failed
 * `start` removes what it created itself.
 */
async function guardedStart(
  guardian: Guardian | undefined,
  task: CleanupTask,
  start: () => Promise<ClusterHandle>,
): Promise<ClusterHandle> {
  const ownGuardian = guardian ? undefined : startGuardian();
  (guardian ?? ownGuardian)?.update(task);
  const handle = await start().catch((error) => {
    ownGuardian?.dismiss();
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
