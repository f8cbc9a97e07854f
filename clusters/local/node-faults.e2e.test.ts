import { randomBytes } from "node:crypto";
import type { KubernetesObject, V1Node, V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterHandle, NodeFaults } from "../../lib/cluster/contract.ts";
import { UsageError } from "../../lib/errors.ts";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { waitForServiceAccount } from "../../lib/kube/namespaces.ts";
import { isReady } from "../../lib/kube/nodes.ts";
import { resources } from "../../lib/kube/resources.ts";
import { leaseRenewedMs, nodeWithLease } from "../../lib/kube/testdata/node-lease.ts";
import { watchUntil } from "../../lib/kube/wait.ts";
import { suiteLabels } from "../../lib/labels.ts";
import { NODE_FAULT_LABEL } from "./kwokctl.ts";
import { localNodeFaults } from "./node-faults.ts";
import { down, up } from "./provider.ts";

/**
 * The local provider's node fault on a cluster of the test's own (a failed
 * node would disturb the suites sharing the run's cluster): kwok lets go of a
 * node, its Lease is renewed no more, and the real node-lifecycle controller
 * marks it Ready=Unknown and taints it unreachable after
 * --node-monitor-grace-period (50 s); taint eviction marks its pod for
 * deletion, and the pod stays. Restored, kwok takes the node back: Ready, the
 * taints gone, and the pod that was marked for deletion is deleted.
 */

const name = `amc-fault-${randomBytes(3).toString("hex")}`;
const say = (message: string) => process.stderr.write(`[local node faults ${name}] ${message}\n`);
const UNREACHABLE = "node.kubernetes.io/unreachable";

const readyOf = (node: V1Node | undefined) => node?.status?.conditions?.find((c) => c.type === "Ready");
const unreachable = (node: V1Node | undefined, effect: string) =>
  node?.spec?.taints?.some((t) => t.key === UNREACHABLE && t.effect === effect) ?? false;

describe("the local cluster's node faults", () => {
  let cluster: ClusterHandle | undefined;
  let kube: Kube;
  let faults: NodeFaults;
  // Zone a has two nodes: failing one leaves the zone partly up, where the node-lifecycle controller evicts.
  const node = "amc-node-a2";
  const namespace = `fault-${randomBytes(3).toString("hex")}`;

  beforeAll(async () => {
    cluster = await up({ name, ephemeral: true });
    kube = connect(cluster.kubeconfigPath);
    const found = localNodeFaults(cluster);
    if ("unavailable" in found) throw new Error(found.unavailable);
    faults = found;
  }, 300_000);

  afterAll(async () => {
    if (faults) await faults.restore(node, "kubelet-stopped").catch(() => undefined);
    await (cluster ? cluster.release() : down(name));
  }, 120_000);

  /** The node, its Lease and the namespace's pods, until `decide` says; how long that took. */
  function watchNode<R>(
    description: string,
    timeoutMs: number,
    decide: (node: V1Node | undefined, lease: KubernetesObject | undefined, pods: V1Pod[]) => R | undefined,
  ): Promise<R> {
    return watchUntil(
      kube,
      { ...nodeWithLease(node), pods: { resource: resources.pods, namespace } },
      { description, timeoutMs },
      (snapshot) =>
        decide([...snapshot.node.values()][0] as V1Node | undefined, [...snapshot.lease.values()][0], [
          ...snapshot.pods.values(),
        ] as V1Pod[]),
    );
  }

  it("refuses a node that is not the cluster's, and powered-off", async () => {
    await expect(faults.fail("amc-no-such-node", "kubelet-stopped")).rejects.toThrow(UsageError);
    await expect(faults.fail(node, "powered-off")).rejects.toThrow(/kubelet-stopped only/);
    expect(faults.modes).toEqual(["kubelet-stopped"]);
    // Nothing failed: restore has nothing to undo.
    await faults.restore(node, "kubelet-stopped");
    const current = await kube.core.readNode({ name: node });
    expect(current.metadata?.labels?.[NODE_FAULT_LABEL]).toBeUndefined();
    expect(isReady(current)).toBe(true);
  });

  it("fails a node: Ready=Unknown and unreachable once its Lease expires, its pod evicted but not deleted; restored: Ready, untainted, the pod deleted", async () => {
    await kube.core.createNamespace({ body: { metadata: { name: namespace, labels: { ...suiteLabels } } } });
    await waitForServiceAccount(kube, namespace);
    // Evicted as soon as the node is tainted unreachable (the default toleration waits 300 s).
    await kube.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: "on-failed-node", labels: { ...suiteLabels } },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": node },
          tolerations: [{ key: UNREACHABLE, operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 }],
          containers: [{ name: "sleep", image: "busybox" }],
        },
      },
    });
    await watchNode(`pod on ${node} Running`, 30_000, (_node, _lease, pods) =>
      pods[0]?.status?.phase === "Running" ? true : undefined,
    );

    const failedAt = Date.now();
    await faults.fail(node, "kubelet-stopped");
    await expect(faults.fail(node, "kubelet-stopped")).rejects.toThrow(/already failed/);
    // --node-monitor-grace-period (50 s) after the last renewal, checked every --node-monitor-period (5 s).
    const failed = await watchNode(
      `node ${node} Ready=Unknown, tainted ${UNREACHABLE}:NoExecute and NoSchedule, its pod marked for deletion`,
      120_000,
      // The two taints come from two passes of the node lifecycle controller: either may be first.
      (current, renewed, pods) =>
        readyOf(current)?.status === "Unknown" &&
        unreachable(current, "NoExecute") &&
        unreachable(current, "NoSchedule") &&
        pods[0]?.metadata?.deletionTimestamp
          ? { current, renewed, pod: pods[0] }
          : undefined,
    );
    const unknownAfterMs = Date.now() - failedAt;
    const lastRenewal = leaseRenewedMs(failed.renewed);
    say(
      `Ready=Unknown (${readyOf(failed.current)?.reason}), tainted and the pod evicted ${unknownAfterMs} ms after the fault; last Lease renewal ${lastRenewal - failedAt} ms after it`,
    );
    // A renewal under way when the label landed may still be written; none after.
    expect(lastRenewal - failedAt).toBeLessThan(2_000);
    expect(unknownAfterMs).toBeGreaterThan(40_000);
    expect(unreachable(failed.current, "NoSchedule")).toBe(true);
    // Nobody runs the simulated kubelet: the evicted pod keeps its phase and stays, marked for deletion.
    expect(failed.pod.status?.phase).toBe("Running");
    expect(failed.pod.status?.conditions?.find((c) => c.type === "DisruptionTarget")?.reason).toBe(
      "DeletionByTaintManager",
    );

    const restoredAt = Date.now();
    await faults.restore(node, "kubelet-stopped");
    await faults.restore(node, "kubelet-stopped"); // the guardian may restore again
    await watchNode(
      `node ${node} Ready, without ${UNREACHABLE}, its Lease renewed, its evicted pod deleted`,
      60_000,
      (current, renewed, pods) =>
        current !== undefined &&
        isReady(current) &&
        !unreachable(current, "NoExecute") &&
        !unreachable(current, "NoSchedule") &&
        leaseRenewedMs(renewed) >= restoredAt - 1_000 &&
        pods.length === 0
          ? true
          : undefined,
    );
    say(`Ready, untainted, the pod deleted ${Date.now() - restoredAt} ms after the restore`);
    const current = await kube.core.readNode({ name: node });
    expect(current.metadata?.labels?.[NODE_FAULT_LABEL]).toBeUndefined();
  }, 240_000);
});
