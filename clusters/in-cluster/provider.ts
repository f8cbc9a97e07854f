import { existsSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { ClusterHandle } from "../../lib/cluster/contract.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Settings } from "../../lib/settings.ts";
import { writePrivateCopy } from "../existing/private-copy.ts";
import { reachExistingCluster } from "../existing/reach.ts";

/**
 * The cluster this process runs in (AMC_CLUSTER=in-cluster): a Job's or a
 * Sonobuoy plugin's pod, with its ServiceAccount's credentials
 * (manifests/in-cluster/rbac.yaml grants what the suite does). The private
 * kubeconfig names the token file, not the token: the kubelet rotates the
 * projected token, and the client reads it again. The rest is the kubeconfig
 * provider's preflight (clusters/existing/reach.ts).
 */

const scope = "in-cluster";
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface InClusterOptions {
  /** A directory standing for / (the service account files under it); for tests. */
  root?: string;
  env?: NodeJS.ProcessEnv;
  apiTimeoutMs?: number;
  /** Told the copy's directory as soon as it exists, so that a killed run's guardian removes it. */
  onPrivateCopy?: (dir: string) => void;
}

/** Why this process cannot use its pod's credentials, or undefined when it can. */
export function notInClusterReason(root = "", env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"].filter((name) => !env[name]);
  if (missing.length > 0) return `${missing.join(" and ")} not set (Kubernetes sets them in every pod)`;
  const token = join(root, SERVICE_ACCOUNT_DIR, "token");
  if (!existsSync(token)) {
    return `no service account token at ${token} (the pod's automountServiceAccountToken is off?)`;
  }
  return undefined;
}

export async function acquireInCluster(
  settings: Pick<Settings, "cluster" | "scenarios" | "failover">,
  options: InClusterOptions = {},
): Promise<ClusterHandle> {
  const env = options.env ?? process.env;
  const reason = notInClusterReason(options.root, env);
  if (reason)
    throw new UsageError(`--cluster in-cluster runs inside a pod, with its ServiceAccount: ${reason}`);
  if (settings.cluster.kubeconfig || settings.cluster.context) {
    throw new UsageError(
      "--cluster in-cluster uses the pod's ServiceAccount: leave out --kubeconfig and --context",
    );
  }
  const config = new KubeConfig();
  // client-node reads the host and port from process.env.
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  Object.assign(process.env, {
    KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST,
    KUBERNETES_SERVICE_PORT: env.KUBERNETES_SERVICE_PORT,
  });
  try {
    config.loadFromCluster(options.root);
  } finally {
    restore("KUBERNETES_SERVICE_HOST", saved.host);
    restore("KUBERNETES_SERVICE_PORT", saved.port);
  }
  const server = config.getCurrentCluster()?.server ?? "";
  const namespace = config.getContextObject(config.currentContext)?.namespace;
  const copy = await writePrivateCopy(config.exportConfig());
  options.onPrivateCopy?.(copy.dir);
  return reachExistingCluster(settings, {
    provider: "in-cluster",
    name: "in-cluster",
    copy,
    endpoint: { server, context: "in-cluster", source: `the pod's ServiceAccount (${SERVICE_ACCOUNT_DIR})` },
    ...(options.apiTimeoutMs === undefined ? {} : { apiTimeoutMs: options.apiTimeoutMs }),
    scope,
    describe: ({ kubernetesVersion, nodes, fidelity, reason: why }) =>
      `the pod's own cluster, ${server}${namespace ? ` (pod namespace ${namespace})` : ""}: Kubernetes ${kubernetesVersion}, ${nodes} node(s), ${fidelity} fidelity (${why})`,
  });
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
