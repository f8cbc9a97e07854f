import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PatchStrategy, type V1Node } from "@kubernetes/client-node";
import type { ClusterInfo, NodeFaultMode, NodeFaultsOrWhyNot } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { MANAGED_BY_VALUE } from "../../lib/labels.ts";
import { kwokControllerArgs, NODE_FAULT_LABEL } from "./kwokctl.ts";
import { componentCommands } from "./kwokctl-components.ts";

/**
 * Failing and restoring a node of the local cluster, whose nodes' kubelets
 * kwok-controller simulates. Failing labels the node (NODE_FAULT_LABEL), and
 * kwok, which manages only nodes without it (kwokctl.ts), lets go of it: no
 * Lease renewals, no status, its pods left as they are. The real control
 * plane then runs its course: the node-lifecycle controller marks it
 * Ready=Unknown after --node-monitor-grace-period and taints it
 * node.kubernetes.io/unreachable, taint eviction marks its pods for deletion,
 * and nothing confirms their deletion. Restoring removes the label: kwok
 * takes the node back (its Lease, Ready again), the taints go, and kwok
 * finishes deleting its pods that were marked for deletion.
 *
 * One mode: a kwok pod runs nothing, so there is no container to keep running
 * or to stop, and `kubelet-stopped` is all there is to simulate.
 */

const modes: readonly NodeFaultMode[] = ["kubelet-stopped"];

const statusOf = (error: unknown) => (error as { code?: number } | undefined)?.code;

/** What the cluster's kwok-controller runs with, from kwokctl's saved configuration. */
export function kwokControllerArgsOf(savedConfig: string): string[] | undefined {
  return componentCommands(savedConfig).find((c) => c.name === "kwok-controller")?.args;
}

/** Why kwok-controller, started with these arguments, keeps managing a labelled node; undefined when it does not. */
export function whyNotFaultable(args: readonly string[]): string | undefined {
  // The last occurrence of a flag wins, as in Go's flag parsing.
  const last = (key: string) => {
    for (const arg of args.toReversed()) {
      if (arg === `--${key}`) return "true"; // a boolean flag without a value (kwokctl always gives one)
      if (arg.startsWith(`--${key}=`)) return arg.slice(key.length + 3);
    }
    return undefined;
  };
  const wanted = Object.fromEntries(kwokControllerArgs.map((a) => [a.key, a.value]));
  const wrong = Object.entries(wanted).filter(([key, value]) => last(key) !== value);
  if (wrong.length === 0) return undefined;
  return `its kwok-controller runs without ${wrong.map(([key, value]) => `--${key}=${value}`).join(" ")} (its flags: ${args.filter((a) => a.startsWith("--manage-")).join(" ") || "none about managing nodes"}), so it would keep simulating a failed node's kubelet; \`amc cluster up\` creates the cluster again with them`;
}

/** The node's fault label: the mode it was failed with, or undefined. */
export function faultOf(node: V1Node): string | undefined {
  return node.metadata?.labels?.[NODE_FAULT_LABEL];
}

function labelPatch(name: string, value: string | null) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { [NODE_FAULT_LABEL]: value } },
  } as unknown as V1Node;
}

async function patchNode(kube: Kube, name: string, value: string | null): Promise<void> {
  await kube.objects.patch(
    labelPatch(name, value),
    undefined,
    undefined,
    MANAGED_BY_VALUE,
    undefined,
    PatchStrategy.MergePatch,
  );
}

export function localNodeFaults(cluster: ClusterInfo, kube?: Kube): NodeFaultsOrWhyNot {
  if (cluster.provider !== "local") {
    return { unavailable: `cluster "${cluster.name}" is a ${cluster.provider} cluster, not a local one` };
  }
  // kwokctl keeps its configuration, with each component's arguments, beside the kubeconfig.
  const saved = join(dirname(cluster.kubeconfigPath), "kwok.yaml");
  let args: string[] | undefined;
  try {
    args = kwokControllerArgsOf(readFileSync(saved, "utf8"));
  } catch (error) {
    return {
      unavailable: `local cluster "${cluster.name}": cannot read kwokctl's configuration ${saved}: ${(error as Error).message}`,
    };
  }
  if (!args)
    return { unavailable: `local cluster "${cluster.name}": kwokctl runs no kwok-controller (${saved})` };
  const why = whyNotFaultable(args);
  if (why) return { unavailable: `local cluster "${cluster.name}": ${why}` };

  let client = kube;
  const api = () => {
    client ??= connect(cluster.kubeconfigPath);
    return client;
  };
  const known = new Set(cluster.nodes.map((n) => n.name));
  const checkOwn = (node: string) => {
    if (!known.has(node)) {
      throw new UsageError(
        `node "${node}" is not a node of local cluster "${cluster.name}" (its nodes: ${[...known].join(", ")})`,
      );
    }
  };

  return {
    modes,
    describe: (mode) =>
      mode === "kubelet-stopped"
        ? `kwok stops managing the node in local cluster "${cluster.name}" (label ${NODE_FAULT_LABEL}=${mode} on the node): no Lease renewals, no node status; its pods' containers are simulated (none runs, none stops)`
        : `not available on local cluster "${cluster.name}": kwok's pods run no containers, only kubelet-stopped is simulated`,
    async fail(node, mode) {
      if (!modes.includes(mode)) {
        throw new UsageError(
          `local cluster "${cluster.name}" fails a node in mode kubelet-stopped only, not ${mode}: kwok's pods run no containers`,
        );
      }
      checkOwn(node);
      let current: V1Node;
      try {
        current = await api().core.readNode({ name: node });
      } catch (error) {
        if (statusOf(error) === 404)
          throw new InfrastructureError(
            `node ${node} of local cluster "${cluster.name}" is gone from its API`,
          );
        throw error;
      }
      const already = faultOf(current);
      if (already) {
        throw new InfrastructureError(
          `node ${node} of local cluster "${cluster.name}" is already failed (label ${NODE_FAULT_LABEL}=${already}); restore it first`,
        );
      }
      await patchNode(api(), node, mode);
    },
    // Whatever the mode, and whether or not the node was failed: without the label, kwok manages it.
    // Removing a label the node does not have changes nothing; a node that is gone has nothing to undo.
    async restore(node, _mode) {
      checkOwn(node);
      try {
        await patchNode(api(), node, null);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    },
  };
}
