import { cacheRoot } from "../../lib/cache-dir.ts";
import type { ClusterProvider, ClusterStatus } from "../../lib/cluster/contract.ts";
import { newClusterName } from "../../lib/cluster/contract.ts";
import { connect } from "../../lib/kube/client.ts";
import { isReady } from "../../lib/kube/nodes.ts";
import { ZONE_LABEL } from "../../lib/labels.ts";
import { isRunning } from "../../lib/processes.ts";
import { kwokctlConfigFingerprint } from "./kwokctl.ts";
import { localNodeFaults } from "./node-faults.ts";
import {
  checkHealth,
  describeClasses,
  down,
  listClusters,
  localPaths,
  readLocalClusterState,
  up,
} from "./provider.ts";
import { componentLines } from "./supervision.ts";

/**
 * The embedded local cluster: a real control plane (kube-apiserver, etcd,
 * controllers, scheduler, the CSI sidecars and the suite's CSI driver) with
 * kwok's simulated nodes. `amc cluster up` keeps one named "amc"; a run
 * without a named cluster starts one of its own and removes it.
 */
export const localProvider: ClusterProvider = {
  id: "local",
  summary: "the embedded cluster: real control plane, simulated (kwok) nodes; the default",
  facts: { fidelity: "control-plane", nodeFaults: true },
  async acquire({ settings, guard }) {
    const { name, keep, localClassCopies: classCopies } = settings.cluster;
    // A named cluster, or the one --keep leaves running under the default name, outlives the run.
    if (name || keep) return up({ name: name ?? "amc", classCopies });
    const own = newClusterName();
    guard({ cluster: own });
    return up({ name: own, ephemeral: true, classCopies });
  },
  lifecycle: {
    defaultName: "amc",
    up: (name, settings) => up({ name: name ?? "amc", classCopies: settings.cluster.localClassCopies }),
    down: async (name) => void (await down(name)),
    status,
    list: () => listClusters(),
  },
  // kwok stops simulating the node's kubelet; the real control plane does the rest.
  nodeFaults: (cluster) => localNodeFaults(cluster),
};

/**
 * Health, kubeconfig, the supervisor and each component's state (running, or
 * down since when, and its restarts), and (when healthy) nodes, CSI drivers
 * and storage classes.
 */
async function status(name: string): Promise<ClusterStatus> {
  const state = await readLocalClusterState(localPaths(cacheRoot(), name).state);
  if (!state) return { healthy: false, text: `local cluster "${name}": not found` };
  const health = await checkHealth(name);
  const lines = [
    `local cluster "${name}": ${health.healthy ? "healthy" : `NOT healthy (${health.problems.join("; ")})`}`,
    `  kubeconfig:  ${state.kubeconfigPath}`,
    `  kubernetes:  ${state.kubernetesVersion ?? "unknown"}, fidelity control-plane (kwok nodes)`,
    `  storage:     ${describeClasses(state.classCopies ?? 1)}${state.classCopies && state.classCopies > 1 ? `: \`AMC_LOCAL_CLASS_COPIES=${state.classCopies} amc cluster up ${name}\` reuses it` : ""}`,
    `  created:     ${state.createdAt}${state.owner ? ` by test run pid ${state.owner.pid}` : ""}`,
    ...(state.configFingerprint === kwokctlConfigFingerprint()
      ? []
      : [
          `  config:      another amc's (its kwok cannot fail a node, its heartbeats are timed otherwise): \`amc cluster up ${name}\` creates it again`,
        ]),
    `  supervisor:  ${
      health.supervisor
        ? `pid ${health.supervisor.pid}${health.supervisor.running ? ", running (restarts a component that exits)" : ", NOT running: a component that exits stays down"}`
        : "none"
    }${state.supervisor ? `; log ${state.supervisor.logFile}` : ""}`,
  ];
  const report = health.supervision;
  const now = Date.now();
  if (report && health.supervisor?.running) {
    // The supervisor looks twice a second; a process that exited since then is shown as down already.
    const exitedUnseen = new Set<string>();
    for (const c of report.components)
      if (c.state === "running" && !(await isRunning(c))) exitedUnseen.add(c.name);
    lines.push(
      "  control plane (kwokctl):",
      ...componentLines(report, "control-plane", now, exitedUnseen),
      "  CSI processes:",
      ...componentLines(report, "csi", now, exitedUnseen),
    );
  } else {
    lines.push(
      "  control plane (kwokctl):",
      ...Object.entries(health.controlPlane).map(
        ([component, p]) => `    ${component.padEnd(26)} pid ${p.pid}${p.running ? "" : " (not running)"}`,
      ),
      "  CSI processes:",
      ...health.processes.map(
        (p) => `    ${p.name.padEnd(26)} pid ${p.pid}${p.running ? "" : " (not running)"}`,
      ),
    );
  }
  if (health.healthy) {
    const kube = connect(state.kubeconfigPath);
    const nodes = await kube.core.listNode();
    lines.push("  nodes:");
    for (const node of nodes.items) {
      lines.push(
        `    ${node.metadata?.name?.padEnd(26)} zone ${node.metadata?.labels?.[ZONE_LABEL]}${isReady(node) ? "" : " (not Ready)"}`,
      );
    }
    const drivers = await kube.storage.listCSIDriver();
    lines.push("  CSI drivers:");
    for (const d of drivers.items)
      lines.push(`    ${d.metadata?.name?.padEnd(26)} attachRequired=${d.spec.attachRequired ?? true}`);
    const classes = await kube.storage.listStorageClass();
    lines.push("  storage classes:");
    for (const c of classes.items) {
      lines.push(`    ${c.metadata?.name?.padEnd(26)} provisioner ${c.provisioner}, ${c.volumeBindingMode}`);
    }
  }
  return { healthy: health.healthy, text: lines.join("\n") };
}
