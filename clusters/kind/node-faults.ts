import { execa } from "execa";
import type { ClusterInfo, NodeFaultMode, NodeFaults } from "../../lib/cluster/contract.ts";
import { nodeFaultModes } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";

/**
 * Failing and restoring a node of a kind cluster, whose nodes are Docker
 * containers named after them. `kubelet-stopped` stops the kubelet's systemd
 * unit inside the node's container: the pods' containers keep running, the
 * node stops reporting. `powered-off` pauses the whole container (the cgroup
 * freezer stops every process in it, the kubelet and the pods' containers),
 * which keeps its IP address, where `docker stop` would give it up.
 *
 * Only containers that kind labelled as nodes of this cluster are touched,
 * and never its control plane (that would take the API server with it).
 */

/** The label kind puts on every node container, with the cluster's name. */
export const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";
/** The label kind puts on every node container, with its role (control-plane, worker). */
export const KIND_ROLE_LABEL = "io.x-k8s.kind.role";

const commandTimeoutMs = 120_000;

/** A node container as `docker inspect` sees it. */
export interface NodeContainer {
  running: boolean;
  paused: boolean;
  status: string;
  cluster: string;
  role: string;
}

async function docker(args: readonly string[]): Promise<string> {
  const result = await execa("docker", [...args], { reject: false, timeout: commandTimeoutMs });
  if (result.exitCode !== 0) {
    const why = String(result.stderr || result.message).trim();
    throw new InfrastructureError(
      `docker ${args.join(" ")} failed (exit ${result.exitCode ?? "none"}): ${why}`,
    );
  }
  return result.stdout.trim();
}

/** The container's state and kind's labels; throws when there is no such container. */
export async function inspectNodeContainer(node: string): Promise<NodeContainer> {
  const format = [
    "{{.State.Running}}",
    "{{.State.Paused}}",
    "{{.State.Status}}",
    `{{index .Config.Labels "${KIND_CLUSTER_LABEL}"}}`,
    `{{index .Config.Labels "${KIND_ROLE_LABEL}"}}`,
  ].join("\t");
  const result = await execa("docker", ["container", "inspect", "--format", format, node], {
    reject: false,
    timeout: commandTimeoutMs,
  });
  if (result.exitCode !== 0) {
    const why = String(result.stderr || result.message).trim();
    if (/no such (container|object)/i.test(why)) {
      throw new UsageError(`node ${node}: there is no Docker container of that name (${why})`);
    }
    throw new InfrastructureError(`docker container inspect ${node} failed: ${why}`);
  }
  const [running, paused, status, cluster, role] = result.stdout.trim().split("\t");
  return {
    running: running === "true",
    paused: paused === "true",
    status: status ?? "",
    // `index` on a missing label prints "<no value>" on some Docker versions.
    cluster: cluster === "<no value>" ? "" : (cluster ?? ""),
    role: role === "<no value>" ? "" : (role ?? ""),
  };
}

export function kindNodeFaults(cluster: ClusterInfo): NodeFaults {
  /** The node's container, once it is known to be a node of this cluster. */
  const ownContainer = async (node: string): Promise<NodeContainer> => {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(node)) {
      throw new UsageError(`node "${node}": not a kind node name`);
    }
    const container = await inspectNodeContainer(node);
    if (container.cluster !== cluster.name) {
      throw new UsageError(
        `node ${node}: the Docker container of that name is not a node of kind cluster "${cluster.name}" ` +
          `(its label ${KIND_CLUSTER_LABEL} is ${container.cluster ? `"${container.cluster}"` : "absent"}); amc leaves it alone`,
      );
    }
    return container;
  };

  const notRunning = (node: string, container: NodeContainer) =>
    new InfrastructureError(
      `node ${node}: its container is ${container.status}, not running; amc never stops it ` +
        `(docker start ${node} brings it back)`,
    );

  return {
    modes: nodeFaultModes,
    // Told after the node's name ("failing amc-worker: ..."): the contract gives describe no node.
    describe(mode: NodeFaultMode): string {
      return mode === "kubelet-stopped"
        ? `systemctl stop kubelet inside the node's container of kind cluster "${cluster.name}" (docker exec); its containers keep running`
        : `docker pause of the node's container in kind cluster "${cluster.name}": every process in it freezes, the kubelet and the pods' containers (the container keeps its IP)`;
    },
    async fail(node: string, mode: NodeFaultMode): Promise<void> {
      const container = await ownContainer(node);
      if (container.role === "control-plane") {
        throw new UsageError(
          `node ${node} is the control plane of kind cluster "${cluster.name}": failing it would take the API server with it; choose a worker`,
        );
      }
      if (!container.running) throw notRunning(node, container);
      if (container.paused) {
        throw new InfrastructureError(`node ${node} is already paused (docker unpause ${node} restores it)`);
      }
      if (mode === "kubelet-stopped") await docker(["exec", node, "systemctl", "stop", "kubelet"]);
      else await docker(["pause", node]);
    },
    // Whatever the mode: unpause the container if it is paused, then start the kubelet (a no-op when it runs).
    async restore(node: string, _mode: NodeFaultMode): Promise<void> {
      const container = await ownContainer(node);
      if (!container.running) throw notRunning(node, container);
      if (container.paused) await docker(["unpause", node]);
      await docker(["exec", node, "systemctl", "start", "kubelet"]);
    },
  };
}
