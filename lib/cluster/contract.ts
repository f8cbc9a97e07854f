import type { V1Node } from "@kubernetes/client-node";
import { ZONE_LABEL } from "../labels.ts";

/**
 * What every cluster provider returns. Suites see only this: they never ask
 * which provider made the cluster to decide an expectation, only what the
 * cluster is (its nodes, its fidelity, and the API objects it serves).
 */

/**
 * `control-plane`: a real API server, scheduler and controllers with simulated
 * nodes; kubelet-level behaviour (mounts, pod phases) is not real.
 * `full`: real kubelets.
 */
export type Fidelity = "control-plane" | "full";

export type ProviderId = "local" | "kind" | "kubeconfig";

export interface ClusterNode {
  name: string;
  /** The node's `topology.kubernetes.io/zone` label, when it has one. */
  zone?: string;
}

/** The serialisable part of a handle (what vitest's globalSetup passes to test files). */
export interface ClusterInfo {
  provider: ProviderId;
  name: string;
  kubeconfigPath: string;
  kubernetesVersion: string;
  fidelity: Fidelity;
  nodes: ClusterNode[];
  /** The pods' image this cluster has loaded (kind's air-gapped images), used unless AMC_IMAGE is set. */
  workloadImage?: string;
}

export interface ClusterHandle extends ClusterInfo {
  /** The run created this cluster for itself and removes it on release. */
  ownedByRun: boolean;
  /** Gives the cluster back: tears it down when this handle created it, leaves it running otherwise. */
  release(): Promise<void>;
}

/** A Node object as the contract's ClusterNode: its name and zone. */
export function clusterNodeOf(node: V1Node): ClusterNode {
  const zone = node.metadata?.labels?.[ZONE_LABEL];
  return { name: node.metadata?.name ?? "", ...(zone ? { zone } : {}) };
}
