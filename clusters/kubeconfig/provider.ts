import type { ClusterHandle } from "../../lib/cluster/contract.ts";
import type { Settings } from "../../lib/settings.ts";
import { writePrivateCopy } from "../existing/private-copy.ts";
import { reachExistingCluster } from "../existing/reach.ts";
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
  return reachExistingCluster(settings, {
    provider: "kubeconfig",
    name: choice.context.name,
    copy,
    endpoint: { server: choice.cluster.server, context: choice.context.name, source: source.from },
    ...(options.apiTimeoutMs === undefined ? {} : { apiTimeoutMs: options.apiTimeoutMs }),
    scope,
    describe: ({ kubernetesVersion, nodes, fidelity, reason }) =>
      `context "${choice.context.name}" of ${source.from}: ${choice.cluster.server}, Kubernetes ${kubernetesVersion}, ${nodes} node(s), ${fidelity} fidelity (${reason})`,
  });
}
