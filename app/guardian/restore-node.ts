import { providerOf } from "../../clusters/registry.ts";
import { connect } from "../../lib/kube/client.ts";
import { OUT_OF_SERVICE_TAINT, removeTaint } from "../../lib/kube/taints.ts";
import { say } from "../../lib/progress.ts";
import { readSettings } from "../../lib/settings.ts";
import type { CleanupTask } from "./task.ts";

/**
 * The nodes a run failed and did not restore: each brought back through its
 * provider's node faults (every mode they have: `restore` undoes one mode
 * and succeeds when there is nothing to undo), then rid of the
 * out-of-service taint a scenario may have put on it. Each is tried
 * independently: a node that could not be restored is no reason to leave
 * the run's taint on it, nor another node down. The guardian does it when
 * the run died, the run's own end does it too (suites/global-setup.ts),
 * whatever its suite did.
 */
export async function restoreFaultedNodes(
  { provider, cluster, nodes }: NonNullable<CleanupTask["nodeFaults"]>,
  attempt: (what: string, work: () => Promise<void>) => Promise<void>,
): Promise<void> {
  for (const node of nodes) {
    const where = `node ${node} of ${provider} cluster ${cluster.name}`;
    await attempt(`restoring ${where}`, async () => {
      // The run's environment, inherited: the settings that let the run fail the node let it be restored.
      const faults = providerOf(provider).nodeFaults?.(cluster, readSettings());
      if (!faults) throw new Error(`provider ${provider} cannot fail nor restore nodes`);
      if ("unavailable" in faults) throw new Error(faults.unavailable);
      for (const mode of faults.modes) await faults.restore(node, mode);
      say("guardian", `restored ${where} (${faults.modes.join(", ")})`);
    });
    await attempt(`removing the out-of-service taint from ${where}`, async () => {
      const removed = await removeTaint(connect(cluster.kubeconfigPath), node, OUT_OF_SERVICE_TAINT.key);
      say(
        "guardian",
        removed ? `removed the out-of-service taint from ${where}` : `${where} has no out-of-service taint`,
      );
    });
  }
}
