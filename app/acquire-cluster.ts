import { providerOf } from "../clusters/registry.ts";
import type { ClusterHandle, ClusterProvider, GuardTask } from "../lib/cluster/contract.ts";
import type { Settings } from "../lib/settings.ts";
import { type Guardian, startGuardian } from "./guardian/guardian.ts";
import type { CleanupTask } from "./guardian/task.ts";

/**
 * The cluster the suites run against: the provider the settings name
 * (clusters/registry.ts), acquired under a guardian, which removes what the
 * provider started for the run (a cluster of its own, a private kubeconfig
 * copy) if the run dies: the caller's guardian when it passes one, else one of
 * this function's own, dismissed when the handle is released.
 */
export async function acquireCluster(
  settings: Settings,
  guardian?: Guardian,
  lookup: (id: string) => ClusterProvider = providerOf,
): Promise<ClusterHandle> {
  const provider = lookup(settings.cluster.provider);
  let ownGuardian: Guardian | undefined;
  const guard = (task: GuardTask) => {
    if (!guardian) ownGuardian ??= startGuardian();
    (guardian ?? ownGuardian)?.update(cleanupTaskOf(provider.id, task));
  };
  const handle = await provider.acquire({ settings, guard }).catch((error: unknown) => {
    // The provider removed what a failed start created; there is nothing left to guard.
    ownGuardian?.dismiss();
    throw error;
  });
  if (!ownGuardian) return handle;
  return {
    ...handle,
    release: async () => {
      await handle.release();
      ownGuardian?.dismiss();
    },
  };
}

function cleanupTaskOf(provider: string, task: GuardTask): CleanupTask {
  return "cluster" in task ? { clusters: [{ provider, name: task.cluster }] } : { removePaths: [task.path] };
}
