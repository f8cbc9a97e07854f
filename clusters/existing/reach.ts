import type { ClusterHandle } from "../../lib/cluster/contract.ts";
import { clusterNodeOf } from "../../lib/cluster/contract.ts";
import { connect } from "../../lib/kube/client.ts";
import { withRetry } from "../../lib/kube/retry.ts";
import { checkPermissions } from "../../lib/preflight/access-review.ts";
import { API_ANSWER_TIMEOUT_MS, checkApiAnswers, type Endpoint } from "../../lib/preflight/api-answers.ts";
import { say } from "../../lib/progress.ts";
import type { Settings } from "../../lib/settings.ts";
import { fidelityOf } from "./fidelity.ts";
import type { PrivateCopy } from "./private-copy.ts";

/**
 * A cluster amc neither creates nor deletes (a kubeconfig's context, or the
 * one a pod runs in), reached through the run's private kubeconfig: the API
 * server must answer, fidelity is read from the nodes, and the credentials
 * must allow everything the selected scenarios do. Shared by the kubeconfig
 * and in-cluster providers, so that both pass the same preflight.
 */

export interface ExistingCluster {
  provider: string;
  /** The cluster's name in the records (the context's, or "in-cluster"). */
  name: string;
  /** The run's private kubeconfig; removed on release, and if the preflight fails. */
  copy: PrivateCopy;
  endpoint: Endpoint;
  apiTimeoutMs?: number;
  /** How the provider names itself in progress lines. */
  scope: string;
  /** Said once the cluster is reached: where it is, what it runs. */
  describe(facts: { kubernetesVersion: string; nodes: number; fidelity: string; reason: string }): string;
}

export async function reachExistingCluster(
  settings: Pick<Settings, "scenarios" | "failover">,
  cluster: ExistingCluster,
): Promise<ClusterHandle> {
  const { copy, endpoint, scope } = cluster;
  try {
    const kube = connect(copy.path);
    const kubernetesVersion = await checkApiAnswers(
      kube.config,
      endpoint,
      cluster.apiTimeoutMs ?? API_ANSWER_TIMEOUT_MS,
    );
    // Listing nodes may be forbidden: then the permission check below says so, with everything else missing.
    const nodes = await withRetry("list nodes", () => kube.core.listNode()).then(
      (list) => list.items,
      (error: { code?: number }) => {
        if (error.code === 403) return undefined;
        throw error;
      },
    );
    const { fidelity, reason } = nodes ? fidelityOf(nodes) : { fidelity: "full" as const, reason: "" };
    const warnings = await checkPermissions(
      kube,
      {
        fidelity,
        scenarios: settings.scenarios,
        nodeFaults: settings.failover.allowNodeFaults,
      },
      { context: endpoint.context, server: endpoint.server },
    );
    for (const warning of warnings) say(scope, warning);
    say(scope, cluster.describe({ kubernetesVersion, nodes: nodes?.length ?? 0, fidelity, reason }));
    return {
      provider: cluster.provider,
      name: cluster.name,
      kubeconfigPath: copy.path,
      kubernetesVersion,
      fidelity,
      nodes: (nodes ?? []).map(clusterNodeOf),
      ownedByRun: false,
      release: async () => {
        await copy.remove();
        say(scope, `removed the private kubeconfig copy; cluster "${cluster.name}" is left running`);
      },
    };
  } catch (error) {
    await copy.remove();
    throw error;
  }
}
