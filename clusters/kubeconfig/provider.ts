import type { ClusterHandle } from "../../lib/cluster/contract.ts";
import { clusterNodeOf } from "../../lib/cluster/contract.ts";
import { connect } from "../../lib/kube/client.ts";
import { withRetry } from "../../lib/kube/retry.ts";
import { checkPermissions } from "../../lib/preflight/access-review.ts";
import { API_ANSWER_TIMEOUT_MS, checkApiAnswers, type Endpoint } from "../../lib/preflight/api-answers.ts";
import { say } from "../../lib/progress.ts";
import type { Settings } from "../../lib/settings.ts";
import { fidelityOf } from "./fidelity.ts";
import { writePrivateCopy } from "./private-copy.ts";
import { chooseContext, kubeconfigFiles, loadKubeconfig, pinnedKubeconfig } from "./resolve.ts";

/**
 * An existing cluster, reached through a kubeconfig (AMC_CLUSTER=kubeconfig).
 * The run neither creates nor deletes the cluster: it writes a private copy
 * of the chosen context for its workers, checks that the API server answers
 * and that the credentials may do everything the suite does, and gives the
 * cluster back untouched (the run's own namespaces are removed by the run).
 */

const scope = "kubeconfig";

export interface KubeconfigOptions {
  /** Where kubectl would look: $HOME; for tests. */
  home?: string;
  /** Where the private copy goes (default the system's temporary directory). */
  copyRoot?: string;
  apiTimeoutMs?: number;
  /** Told the copy's directory as soon as it exists, so that a killed run's guardian removes it. */
  onPrivateCopy?: (dir: string) => void;
}

export async function acquireKubeconfigCluster(
  settings: Pick<Settings, "cluster" | "scenarios" | "failover">,
  options: KubeconfigOptions = {},
): Promise<ClusterHandle> {
  const source = kubeconfigFiles(
    { kubeconfig: settings.cluster.kubeconfig, list: process.env.KUBECONFIG },
    options.home,
  );
  const choice = chooseContext(loadKubeconfig(source.files), settings.cluster.context, source.from);
  const copy = await writePrivateCopy(pinnedKubeconfig(choice), options.copyRoot);
  options.onPrivateCopy?.(copy.dir);
  try {
    const kube = connect(copy.path);
    const endpoint: Endpoint = {
      server: choice.cluster.server,
      context: choice.context.name,
      source: source.from,
    };
    const kubernetesVersion = await checkApiAnswers(
      kube.config,
      endpoint,
      options.apiTimeoutMs ?? API_ANSWER_TIMEOUT_MS,
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
    say(
      scope,
      `context "${endpoint.context}" of ${source.from}: ${endpoint.server}, Kubernetes ${kubernetesVersion}, ${nodes?.length ?? 0} node(s), ${fidelity} fidelity (${reason})`,
    );
    return {
      provider: "kubeconfig",
      name: choice.context.name,
      kubeconfigPath: copy.path,
      kubernetesVersion,
      fidelity,
      nodes: (nodes ?? []).map(clusterNodeOf),
      ownedByRun: false,
      release: async () => {
        await copy.remove();
        say(scope, `removed the private kubeconfig copy; cluster "${choice.context.name}" is left running`);
      },
    };
  } catch (error) {
    await copy.remove();
    throw error;
  }
}
