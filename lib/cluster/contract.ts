import { randomBytes } from "node:crypto";
import type { V1Node } from "@kubernetes/client-node";
import { ZONE_LABEL } from "../labels.ts";
import type { Settings } from "../settings.ts";
import type { Fidelity, NodeFaultMode, ProviderId } from "./fidelity.ts";

/**
 * The contract every cluster provider implements (ClusterProvider) and what
 * it returns (ClusterHandle). clusters/registry.ts names the providers; the
 * CLI, the suites' set-up and the guardian reach them only through it.
 *
 * What every cluster provider returns. Suites see only this: they never ask
 * which provider made the cluster to decide an expectation, only what the
 * cluster is (its nodes, its fidelity, and the API objects it serves).
 */

export type { Fidelity, NodeFaultMode, ProviderId };

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
  /**
   * kube-controller-manager flags the provider set, where the API does not
   * show them (no static pod): the node-failure timeline depends on them.
   */
  controllerManagerFlags?: Record<string, string>;
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

/** What the guardian must undo if the run dies: a cluster the run started for itself, or a file of its own. */
export type GuardTask = { cluster: string } | { path: string };

export interface AcquireOptions {
  settings: Settings;
  /**
   * Told what to remove should the run die, as soon as there is something:
   * before the provider starts a cluster of the run's own, right after it
   * writes a file of the run's own (a private kubeconfig copy). The guardian
   * then calls this provider's `down` for a cluster, or removes the path.
   */
  guard: (task: GuardTask) => void;
}

/** The answer of `amc cluster status`: whether the cluster can run the suite, and what it is made of. */
export interface ClusterStatus {
  healthy: boolean;
  text: string;
}

/**
 * Clusters a provider creates and removes itself, kept between runs under a
 * name (`amc cluster up|down|status|list --cluster <provider>`). Providers of
 * clusters someone else owns (kubeconfig) have none.
 */
export interface ClusterLifecycle {
  /** The name `up` and `status` use when none is given; absent: `up` makes a new name, `status` needs one. */
  defaultName?: string;
  up(name: string | undefined, settings: Settings): Promise<ClusterHandle>;
  /** Removes the cluster and everything of it; used by `amc cluster down` and by the guardian. */
  down(name: string): Promise<void>;
  status(name: string): Promise<ClusterStatus>;
  list(): Promise<string[]>;
}

/** Static facts about a provider, known without a cluster (as upstream's DriverInfo). */
export interface ProviderFacts {
  /** What its clusters' nodes are: fixed, or read from the nodes (an existing cluster). */
  fidelity: Fidelity | "detected";
  /**
   * Whether it can fail a node and restore it (the node-failure scenarios):
   * yes, or only when the user opts in and says how (an existing cluster).
   * The ability itself is `nodeFaults` beside `lifecycle`.
   */
  nodeFaults: boolean | "opt-in";
}

export const nodeFaultModes: readonly NodeFaultMode[] = ["kubelet-stopped", "powered-off"];

export const nodeFaultModeText: Record<NodeFaultMode, string> = {
  "kubelet-stopped": "kubelet stopped (containers keep running)",
  "powered-off": "node powered off (containers stop)",
};

/**
 * Failing and restoring one node of one cluster. The node-failure scenarios
 * call `fail`, and `restore` once they are done; the guardian calls `restore`
 * again if the run died in between, so it must be idempotent.
 */
export interface NodeFaults {
  /** The modes this cluster can inject. */
  modes: readonly NodeFaultMode[];
  /** What a mode does on this cluster, for the report ("docker pause amc-worker: ..."). */
  describe(mode: NodeFaultMode): string;
  fail(node: string, mode: NodeFaultMode): Promise<void>;
  /** Brings the node back as it was before `fail`; succeeds when there is nothing to undo. */
  restore(node: string, mode: NodeFaultMode): Promise<void>;
}

/** A provider's node faults on a cluster, or why there are none (the scenarios' not-applicable reason). */
export type NodeFaultsOrWhyNot = NodeFaults | { unavailable: string };

export interface ClusterProvider {
  id: ProviderId;
  /** One line for help texts. */
  summary: string;
  facts: ProviderFacts;
  /** The cluster a run uses: started (or reused) for it, or an existing one. */
  acquire(options: AcquireOptions): Promise<ClusterHandle>;
  lifecycle?: ClusterLifecycle;
  /** Node faults on a cluster this provider gave (absent: none, as `facts.nodeFaults` false says). */
  nodeFaults?(cluster: ClusterInfo, settings: Settings): NodeFaultsOrWhyNot;
}

/** A name of the run's own for a cluster it creates. */
export function newClusterName(): string {
  return `amc-${randomBytes(3).toString("hex")}`;
}
