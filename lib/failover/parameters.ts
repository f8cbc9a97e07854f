import type { V1Pod } from "@kubernetes/client-node";
import type { Kube } from "../kube/client.ts";

/**
 * The values a failover timeline depends on, read from the cluster where it
 * shows them: kube-controller-manager's flags when it runs as a static pod
 * (kind, kubeadm), else Kubernetes' defaults, said to be defaults.
 */

const DEFAULTS: Record<string, string> = {
  "node-monitor-grace-period": "50s",
  "node-monitor-period": "5s",
  "disable-force-detach-on-timeout": "false",
};

/** Flags of kube-controller-manager from its pod's command line: `--name=value`. */
export function controllerManagerFlags(pods: readonly V1Pod[]): Record<string, string> | undefined {
  const pod = pods.find((p) => p.metadata?.labels?.component === "kube-controller-manager");
  const container =
    pod?.spec?.containers.find((c) => c.name === "kube-controller-manager") ?? pod?.spec?.containers[0];
  if (!container) return undefined;
  const flags: Record<string, string> = {};
  for (const argument of [...(container.command ?? []), ...(container.args ?? [])]) {
    const match = /^--([^=]+)=(.*)$/.exec(argument);
    if (match) flags[match[1] as string] = match[2] as string;
  }
  return flags;
}

export async function failoverParameters(
  kube: Kube,
  tolerationSeconds: number | "default",
  /** What the provider says it set (the local cluster's kube-controller-manager is no pod). */
  providerFlags?: Record<string, string>,
): Promise<Record<string, string>> {
  const pods = await kube.core
    .listNamespacedPod({ namespace: "kube-system", labelSelector: "component=kube-controller-manager" })
    .then((list) => list.items)
    .catch(() => [] as V1Pod[]);
  const flags = controllerManagerFlags(pods) ?? providerFlags;
  const parameters: Record<string, string> = {};
  for (const [flag, value] of Object.entries({
    ...DEFAULTS,
    ...(flags?.["node-monitor-period"] ? { "node-monitor-period": "5s" } : {}),
  })) {
    parameters[flag] = flags?.[flag]
      ? `${flags[flag]} (kube-controller-manager flag${providerFlags === flags ? ", set by the cluster's provider" : ""})`
      : flags
        ? `${value} (Kubernetes' default: kube-controller-manager does not set it)`
        : `${value} (Kubernetes' default; kube-controller-manager's flags are not visible in the API)`;
  }
  parameters["attach/detach max wait for unmount"] = "6m (ReconcilerMaxWaitForUnmountDuration, hard-coded)";
  parameters["writer tolerationSeconds (unreachable, not-ready)"] =
    tolerationSeconds === "default"
      ? "300 (DefaultTolerationSeconds admission plugin)"
      : `${tolerationSeconds} (the writer's own tolerations)`;
  return parameters;
}
