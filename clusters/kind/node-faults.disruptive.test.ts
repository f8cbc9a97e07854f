import type { V1Node } from "@kubernetes/client-node";
import { execa } from "execa";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { NodeFaultMode } from "../../lib/cluster/contract.ts";
import { UsageError } from "../../lib/errors.ts";
import { connect } from "../../lib/kube/client.ts";
import { isReady } from "../../lib/kube/nodes.ts";
import { leaseRenewedMs, nodeWithLease } from "../../lib/kube/testdata/node-lease.ts";
import { watchUntil } from "../../lib/kube/wait.ts";
import { kindNodeFaults } from "./node-faults.ts";

/**
 * The kind provider's node faults on the run's kind cluster (AMC_CLUSTER=kind):
 * each mode fails a worker, the container says so, and after restore the
 * kubelet is back: the Node is Ready and its Lease is renewed after the
 * restore (a node restored before it went NotReady was Ready all along, so
 * Ready alone would prove nothing). The node is restored whatever happens.
 */

const cluster = inject("cluster");

async function kubeletState(node: string): Promise<string> {
  const result = await execa("docker", ["exec", node, "systemctl", "is-active", "kubelet"], {
    reject: false,
  });
  return result.stdout.trim();
}

async function pausedState(node: string): Promise<string> {
  const { stdout } = await execa("docker", ["inspect", "-f", "{{.State.Paused}}", node]);
  return stdout.trim();
}

describe.runIf(cluster.provider === "kind")("kind node faults", () => {
  const faults = kindNodeFaults(cluster);
  const kube = connect(cluster.kubeconfigPath);
  // The last worker: the suites place their first pods on the first.
  const node = cluster.nodes.at(-1)?.name ?? "";

  afterAll(async () => {
    await faults.restore(node, "powered-off");
  });

  /** Resolves when the node is Ready and its kubelet renewed its Lease after `since`; the time that took. */
  async function backSince(since: number): Promise<number> {
    await watchUntil(
      kube,
      nodeWithLease(node),
      { description: `node ${node} Ready with its Lease renewed after the restore`, timeoutMs: 180_000 },
      (snapshot) => {
        const current = [...snapshot.node.values()][0] as V1Node | undefined;
        const renewed = [...snapshot.lease.values()][0];
        // MicroTime: the comparison is to the microsecond; the nodes share this machine's clock.
        const renewedAfter = leaseRenewedMs(renewed) >= since;
        return current && isReady(current) && renewedAfter ? true : undefined;
      },
    );
    return Date.now() - since;
  }

  it("refuses a container that is not a worker of this cluster", async () => {
    await expect(faults.fail("amc-no-such-node", "powered-off")).rejects.toThrow(UsageError);
    await expect(faults.fail(`${cluster.name}-control-plane`, "powered-off")).rejects.toThrow(
      /control plane/,
    );
    // Nothing failed: restore has nothing to undo.
    await faults.restore(node, "kubelet-stopped");
    expect(await kubeletState(node)).toBe("active");
    expect(await pausedState(node)).toBe("false");
  });

  const cases: [NodeFaultMode, () => Promise<void>][] = [
    [
      "kubelet-stopped",
      async () => {
        expect(await kubeletState(node)).toBe("inactive");
        expect(await pausedState(node)).toBe("false");
      },
    ],
    ["powered-off", async () => expect(await pausedState(node)).toBe("true")],
  ];

  for (const [mode, failed] of cases) {
    it(`fails and restores a worker: ${mode}`, async () => {
      expect(faults.modes).toContain(mode);
      let restoredAt = 0;
      try {
        await faults.fail(node, mode);
        await failed();
      } finally {
        // A failed node renews no Lease: one renewed after this instant is the kubelet back.
        restoredAt = Date.now();
        await faults.restore(node, mode);
      }
      // Twice: the guardian restores again whatever the run did.
      await faults.restore(node, mode);
      expect(await pausedState(node)).toBe("false");
      expect(await kubeletState(node)).toBe("active");
      const tookMs = await backSince(restoredAt);
      process.stderr.write(`[kind node faults] ${node} back ${tookMs} ms after restoring ${mode}\n`);
    });
  }
});
