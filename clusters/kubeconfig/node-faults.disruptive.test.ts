import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { Certification } from "../../lib/report/document.ts";

/**
 * An existing cluster's node is failed only with the user's opt-in and
 * commands (provider kubeconfig). On this run's local cluster, reached as an
 * existing cluster through its kubeconfig: without the opt-in the
 * out-of-service path is not applicable and no node is touched; with it, the
 * user's commands (here kubectl labelling the node so that kwok lets go of it,
 * what the local provider does itself) fail and restore the node, and the
 * workload fails over.
 */

const cluster = inject("cluster");
const root = fileURLToPath(new URL("../../", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "amc-kubeconfig-faults-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function amcRun(reportDir: string, extra: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
  );
  const args = [
    "run",
    "--kubeconfig",
    cluster.kubeconfigPath,
    "--scenario",
    "rwo-node-out-of-service",
    "--storage-class",
    "amc-shared",
    "--fault-mode",
    "kubelet-stopped",
    "--report-dir",
    reportDir,
    ...extra,
  ];
  const result = await execa(process.execPath, [join(root, "bin/amc.js"), ...args], {
    cwd: root,
    env: { ...clean, ...env },
    extendEnv: false,
    reject: false,
  });
  const cert = JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8")) as Certification;
  return { result, cert };
}

// The fail command labels the node out of kwok's hands: only the local cluster's nodes are kwok's.
describe.skipIf(cluster.provider !== "local")("node faults on an existing cluster", () => {
  it(
    "are not applicable without the opt-in, and run the user's commands with it",
    async () => {
      const without = await amcRun(join(scratch, "without"), []);
      expect(without.result.exitCode, without.result.stderr).toBe(0);
      expect(without.cert.results.map((r) => [r.verdict, r.reason])).toEqual([
        ["not-applicable", expect.stringContaining("AMC_ALLOW_NODE_FAULTS is not set")],
      ]);
      expect(without.result.stderr).not.toContain("[amc failover");

      // The kubectl the local cluster was built with (a fresh machine may have none on PATH): beside
      // the kube-apiserver its workdir links to.
      const apiserver = realpathSync(join(dirname(cluster.kubeconfigPath), "bin", "kube-apiserver"));
      const kubectl = `${join(dirname(apiserver), "kubectl")} --kubeconfig=${cluster.kubeconfigPath}`;
      const opted = await amcRun(
        join(scratch, "with"),
        [
          "--allow-node-faults",
          "--node-fail-command",
          `${kubectl} label node {node} access-mode-conformance/node-fault=kubelet-stopped`,
          "--node-restore-command",
          `${kubectl} label node $AMC_NODE access-mode-conformance/node-fault-`,
        ],
        { AMC_NODE_FAULT_MODE: "kubelet-stopped" },
      );
      expect(opted.result.exitCode, opted.result.stderr).toBe(0);
      const [record] = opted.cert.results;
      expect(record?.verdict).toBe("conforms");
      expect(record?.failover?.fault).toContain("the user's AMC_NODE_FAIL_COMMAND");
      expect(record?.failover?.recovered).toBe(true);
      expect(opted.result.stderr).toMatch(/\[amc failover\] \S+ is Ready and untainted again/);
    },
    10 * 60_000,
  );
});
