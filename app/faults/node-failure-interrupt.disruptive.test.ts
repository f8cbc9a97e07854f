import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { V1Node } from "@kubernetes/client-node";
import { afterAll, expect, inject, it } from "vitest";
import { connect } from "../../lib/kube/client.ts";
import { isReady } from "../../lib/kube/nodes.ts";
import { OUT_OF_SERVICE_TAINT } from "../../lib/kube/taints.ts";
import { leaseRenewedMs, nodeWithLease } from "../../lib/kube/testdata/node-lease.ts";
import { watchUntil } from "../../lib/kube/wait.ts";

/**
 * Ctrl-C in the middle of a node failure: an `amc run` of the out-of-service
 * path on this run's cluster is interrupted (SIGINT) right after it tainted
 * the failed node out of service, the node still down (on node-local
 * storage, `amc-local`, the workload never moves: the fault lasts its whole
 * budget, so the interrupt is sure to come before the run restores the
 * node). Its guardian must leave the node as it found it: Ready, without the failure's taints, and
 * heartbeating again (its Lease renewed after the interrupt: a stopped
 * kubelet, a paused container or a node kwok no longer manages renews none).
 */

const cluster = inject("cluster");
const root = fileURLToPath(new URL("../../", import.meta.url));
const amc = join(root, "bin/amc.js");
const reportDir = mkdtempSync(join(tmpdir(), "amc-interrupt-"));
afterAll(() => rmSync(reportDir, { recursive: true, force: true }));

const failureTaints = new Set([
  "node.kubernetes.io/unreachable",
  "node.kubernetes.io/not-ready",
  OUT_OF_SERVICE_TAINT.key,
]);

it(
  "leaves no failed node behind when a run is interrupted mid-fault",
  async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
    );
    const args = [
      amc,
      "run",
      "--cluster",
      cluster.provider,
      "--cluster-name",
      cluster.name,
      "--scenario",
      "rwo-node-out-of-service",
      "--storage-class",
      "amc-local",
      "--fault-mode",
      "kubelet-stopped",
      "--report-dir",
      reportDir,
    ];
    const child = spawn(process.execPath, args, { cwd: root, env });
    let stderr = "";
    let interruptedAt = 0;
    let failed: string | undefined;
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      failed ??= /\[amc failover [^\]]+\] failing (\S+):/.exec(stderr)?.[1];
      if (!interruptedAt && /is NotReady: tainted node\.kubernetes\.io\/out-of-service/.test(stderr)) {
        interruptedAt = Date.now();
        child.kill("SIGINT");
      }
    });
    child.stdout.resume();
    // "close": every holder of its output is gone, the guardian it leaves to finish included.
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    });
    expect(interruptedAt, `the run never reached the out-of-service taint:\n${stderr}`).toBeGreaterThan(0);
    expect(code, stderr).toBe(130);
    // The guardian did it, not the run: the node was failed and tainted when the run ended.
    expect(stderr).not.toMatch(/\[amc failover\] restoring /);
    expect(stderr).toMatch(/\[amc guardian\] restored node/);
    expect(stderr).toMatch(/\[amc guardian\] removed the out-of-service taint from node/);
    const node = failed as string;

    const kube = connect(cluster.kubeconfigPath);
    const state = await watchUntil(
      kube,
      nodeWithLease(node),
      { description: `${node} Ready, untainted and heartbeating after the interrupt`, timeoutMs: 3 * 60_000 },
      (snapshot) => {
        const n = snapshot.node.get(`/${node}`) as V1Node | undefined;
        const renewed = leaseRenewedMs(snapshot.lease.get(`kube-node-lease/${node}`));
        const taints = (n?.spec?.taints ?? []).filter((t) => failureTaints.has(t.key)).map((t) => t.key);
        return n && isReady(n) && taints.length === 0 && renewed > interruptedAt
          ? { taints, renewed }
          : undefined;
      },
    );
    expect(state.taints).toEqual([]);
  },
  10 * 60_000,
);
