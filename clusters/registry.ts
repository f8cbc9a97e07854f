import type { ClusterProvider } from "../lib/cluster/contract.ts";
import { UsageError } from "../lib/errors.ts";
import { inClusterProvider } from "./in-cluster/index.ts";
import { kindProvider } from "./kind/index.ts";
import { kubeconfigProvider } from "./kubeconfig/index.ts";
import { localProvider } from "./local/index.ts";

/**
 * Every cluster provider, by the name users give it (`--cluster NAME`,
 * AMC_CLUSTER). A new provider is a folder under clusters/ exporting a
 * ClusterProvider (lib/cluster/contract.ts), and one line here.
 */
export const providers: Readonly<Record<string, ClusterProvider>> = {
  local: localProvider,
  kind: kindProvider,
  kubeconfig: kubeconfigProvider,
  "in-cluster": inClusterProvider,
};

export const providerIds: readonly string[] = Object.keys(providers);

/** The providers whose clusters amc starts and removes itself (`amc cluster`). */
export function lifecycleIds(): string[] {
  return providerIds.filter((id) => providers[id]?.lifecycle);
}

export function providerOf(id: string, source = "AMC_CLUSTER="): ClusterProvider {
  const provider = providers[id];
  if (!provider) {
    throw new UsageError(`${source}${id}: unknown cluster provider (known: ${providerIds.join(", ")})`);
  }
  return provider;
}
