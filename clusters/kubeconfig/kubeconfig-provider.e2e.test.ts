import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, RbacAuthorizationV1Api, VersionApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeRunObjects } from "../../lib/cleanup.ts";
import type { ClusterHandle } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { createNamespace, deleteNamespaceAndWait, waitForServiceAccount } from "../../lib/kube/namespaces.ts";
import { closedPort } from "../../lib/kube/testdata/servers.ts";
import { RUN_LABEL, suiteLabels } from "../../lib/labels.ts";
import { newRunContext, preflightRun, prepareRun } from "../../lib/prepare-run.ts";
import type { RunContext } from "../../lib/run.ts";
import { runScenario } from "../../lib/scenario/runner.ts";
import { scenarios } from "../../lib/scenario/scenarios.ts";
import { defaultTimeouts } from "../../lib/scenario/timeouts.ts";
import { readSettings } from "../../lib/settings.ts";
import { up } from "../local/provider.ts";
import { acquireKubeconfigCluster } from "./provider.ts";

/**
 * The kubeconfig provider against a real API server: a local cluster of
 * this test's own, reached only through its kubeconfig, as an existing
 * cluster would be. The last test cordons nodes of that cluster, which is
 * why it is not the run's cluster.
 */

let local: ClusterHandle;
let admin: Kube;
const scratch = mkdtempSync(join(tmpdir(), "amc-kubeconfig-e2e-"));

beforeAll(async () => {
  local = await up({ name: `amc-kct-${randomBytes(3).toString("hex")}`, ephemeral: true });
  admin = connect(local.kubeconfigPath);
});
afterAll(async () => {
  await local?.release();
  rmSync(scratch, { recursive: true, force: true });
});

function loaded(path: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}
const localServer = () => loaded(local.kubeconfigPath).getCurrentCluster()?.server ?? "";

/** A kubeconfig like the local cluster's, pointing elsewhere or authenticating otherwise. */
function kubeconfigFile(name: string, server: string, user: Record<string, string>): string {
  const ca = loaded(local.kubeconfigPath).getCurrentCluster()?.caFile ?? "";
  const path = join(scratch, name);
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "current-context: test",
      "clusters:",
      `- name: test\n  cluster:\n    server: ${server}\n    certificate-authority: ${ca}`,
      "contexts:",
      "- name: test\n  context:\n    cluster: test\n    user: test",
      "users:",
      `- name: test\n  user:\n${Object.entries(user)
        .map(([k, v]) => `    ${k}: ${v}`)
        .join("\n")}`,
      "",
    ].join("\n"),
  );
  return path;
}

/** Names of what the suite did not create: the test checks these are untouched. */
async function othersState(kube: Kube): Promise<string[]> {
  const [namespaces, classes, nodes, volumes] = await Promise.all([
    kube.core.listNamespace(),
    kube.storage.listStorageClass(),
    kube.core.listNode(),
    kube.core.listPersistentVolume(),
  ]);
  return [
    ...namespaces.items.filter((n) => !n.metadata?.labels?.[RUN_LABEL]).map((n) => `ns/${n.metadata?.name}`),
    ...classes.items.map((c) => `sc/${c.metadata?.name}/${c.metadata?.resourceVersion}`),
    ...nodes.items.map((n) => `node/${n.metadata?.name}/${n.spec?.unschedulable ?? false}`),
    ...volumes.items.map((v) => `pv/${v.metadata?.name}`),
  ].sort();
}

describe("the kubeconfig provider", () => {
  it("yields a handle from the cluster's kubeconfig alone, and the preflight passes", async () => {
    const handle = await acquireKubeconfigCluster(readSettings({ AMC_KUBECONFIG: local.kubeconfigPath }));
    const copy = handle.kubeconfigPath;
    try {
      expect(handle).toMatchObject({
        provider: "kubeconfig",
        name: `kwok-${local.name}`,
        kubernetesVersion: local.kubernetesVersion,
        ownedByRun: false,
        nodes: local.nodes,
        // kwok simulates the local cluster's nodes, whoever reaches them.
        fidelity: "control-plane",
      });
      expect(copy).not.toBe(local.kubeconfigPath);
      expect(statSync(copy).mode & 0o777).toBe(0o600);
      expect(loaded(copy).contexts.map((c) => c.name)).toEqual([`kwok-${local.name}`]);
      const preflight = await preflightRun(connect(copy), { storageClasses: [], nodes: [] });
      expect(preflight.classes.map((c) => c.metadata?.name)).toEqual([
        "amc-block",
        "amc-local",
        "amc-shared",
        "amc-zonal",
      ]);
      expect(preflight.nodes.nodes).toEqual(local.nodes);
      expect(preflight.notes).toEqual([]);
    } finally {
      await handle.release();
    }
    expect(() => statSync(copy)).toThrow();
    // Release gave the cluster back: it is still there.
    const version = await admin.config.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(local.kubernetesVersion);
  });

  it("fails fast with an infrastructure error naming the server and the cause when nothing listens", async () => {
    const port = await closedPort();
    const path = kubeconfigFile("closed-port", `https://127.0.0.1:${port}`, { token: "unused" });
    const copies = mkdtempSync(join(scratch, "copies-"));
    const error = await acquireKubeconfigCluster(readSettings({ AMC_KUBECONFIG: path }), {
      copyRoot: copies,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    const lines = (error as Error).message.split("\n");
    expect(lines[0]).toBe(
      `the API server at https://127.0.0.1:${port} does not answer (context "test" of ${path})`,
    );
    expect(lines[1]).toBe(`  cause: connect ECONNREFUSED 127.0.0.1:${port}`);
    // The private copy of the credentials did not outlive the failure.
    expect(readdirSync(copies)).toEqual([]);
  }, 30_000);

  it("lists every permission a ServiceAccount with too few lacks", async () => {
    const run = await newRunContext({ reportDir: scratch, image: "alpine" });
    const namespace = await createNamespace(admin, "amc-kct-sa", run);
    const rbac = admin.config.makeApiClient(RbacAuthorizationV1Api);
    const name = `${namespace}-limited`;
    try {
      await waitForServiceAccount(admin, namespace);
      await admin.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "limited" } } });
      await rbac.createClusterRole({
        body: {
          metadata: { name, labels: { ...suiteLabels } },
          rules: [
            { apiGroups: [""], resources: ["nodes"], verbs: ["list"] },
            { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["list"] },
          ],
        },
      });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name, labels: { ...suiteLabels } },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
          subjects: [{ kind: "ServiceAccount", name: "limited", namespace }],
        },
      });
      const token = await admin.core.createNamespacedServiceAccountToken({
        name: "limited",
        namespace,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
      const path = kubeconfigFile("limited", localServer(), { token: token.status?.token ?? "" });

      const error = await acquireKubeconfigCluster(readSettings({ AMC_KUBECONFIG: path })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InfrastructureError);
      const lines = (error as Error).message.split("\n");
      // 34 permissions on simulated nodes (no pods/exec), all scenarios; nodes and storageclasses granted.
      expect(lines[0]).toBe(
        `user system:serviceaccount:${namespace}:limited (context "test") lacks 34 permission(s) the suite needs on ${localServer()} (namespaced ones in every namespace):`,
      );
      const missing = lines.filter((l) => l.startsWith("  - ")).map((l) => l.slice(4, l.indexOf(":")));
      expect(missing).toEqual([
        "create, delete, list, watch namespaces",
        "list, watch serviceaccounts",
        "create, delete, deletecollection, list, watch pods",
        "create, deletecollection, list, watch persistentvolumeclaims",
        "list, watch events",
        "get, list, watch persistentvolumes",
        "list csidrivers.storage.k8s.io",
        "list, watch volumeattachments.storage.k8s.io",
        "list priorityclasses.scheduling.k8s.io",
        "create, delete priorityclasses.scheduling.k8s.io",
        "create, patch, list, watch deployments.apps",
        "create, patch statefulsets.apps",
        "delete persistentvolumeclaims",
        "patch persistentvolumes",
      ]);
    } finally {
      await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name }).catch(() => undefined);
      await deleteNamespaceAndWait(admin, namespace);
    }
  });

  it("refuses an unknown storage class before creating anything, listing the cluster's classes", async () => {
    const handle = await acquireKubeconfigCluster(readSettings({ AMC_KUBECONFIG: local.kubeconfigPath }));
    try {
      const kube = connect(handle.kubeconfigPath);
      const run = await newRunContext({ reportDir: scratch, image: "alpine" });
      const settings = { storageClasses: ["amc-block", "fast-ssd"], reportDir: scratch, image: "alpine" };
      const error = await prepareRun(kube, handle, run, settings).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(
        "unknown storage class(es): fast-ssd; the cluster has: amc-block, amc-local, amc-shared, amc-zonal",
      );
      const created = await kube.core.listNamespace({ labelSelector: `${RUN_LABEL}=${run.runId}` });
      expect(created.items).toEqual([]);
    } finally {
      await handle.release();
    }
  });

  describe("on a cluster with one schedulable node", () => {
    const cordoned = ["amc-node-a2", "amc-node-b1", "amc-node-b2"];
    const cordon = async (unschedulable: boolean) => {
      for (const name of cordoned) {
        const node = await admin.core.readNode({ name });
        await admin.core.replaceNode({ name, body: { ...node, spec: { ...node.spec, unschedulable } } });
      }
    };
    beforeAll(() => cordon(true));
    afterAll(() => cordon(false));

    it("reports the cross-node scenarios not applicable with the reason, fails nothing, and leaves nothing", async () => {
      const handle = await acquireKubeconfigCluster(readSettings({ AMC_KUBECONFIG: local.kubeconfigPath }));
      let run: RunContext | undefined;
      try {
        const kube = connect(handle.kubeconfigPath);
        const before = await othersState(kube);
        run = await newRunContext({ reportDir: scratch, image: "alpine" });
        const settings = { storageClasses: ["amc-block"], reportDir: scratch, image: "alpine" };
        const prepared = await prepareRun(kube, handle, run, settings);
        expect(prepared.nodes.nodes.map((n) => n.name)).toEqual(["amc-node-a1"]);
        const [storage] = prepared.storage;
        if (!storage) throw new Error("amc-block was not profiled");
        const { release: _release, ...cluster } = handle;
        const results = await Promise.all(
          scenarios.map((scenario) =>
            runScenario({
              kube,
              cluster,
              pool: prepared.nodes,
              storage,
              scenario,
              run: run as RunContext,
              timeouts: defaultTimeouts,
            }),
          ),
        );
        const verdicts = Object.fromEntries(results.map((r) => [r.record.scenario, r.record.verdict]));
        expect(verdicts).toEqual({
          "rwo-same-node": "conforms",
          "rwo-cross-node": "not-applicable",
          "rwo-handoff": "not-applicable",
          "rwop-same-node": "conforms",
          "rwop-cross-node": "not-applicable",
          "rwop-preemption": "conforms",
          // kube-scheduler v1.36.3's cross-namespace defect shows on one node too: a finding about the cluster.
          "rwop-preemption-namespaces": "finding",
          "rwop-kubelet-guard": "not-applicable",
          "rwx-cross-node": "not-applicable",
          "rox-cross-node": "not-applicable",
          "rox-cross-node-writable": "not-applicable",
        });
        const reason =
          "the cluster has one schedulable node (amc-node-a1); a cross-node scenario needs two; left out: amc-node-a2 (cordoned), amc-node-b1 (cordoned), amc-node-b2 (cordoned)";
        for (const { record } of results.filter((r) => r.record.scenario.match(/cross-node|handoff/))) {
          expect(record.reason, record.scenario).toBe(reason);
        }
        expect(results.flatMap((r) => (r.cleanupError ? [r.cleanupError.message] : []))).toEqual([]);

        await removeRunObjects(kube, run.runId);
        const selector = { labelSelector: `${RUN_LABEL}=${run.runId}` };
        expect((await kube.core.listNamespace(selector)).items).toEqual([]);
        expect((await kube.scheduling.listPriorityClass(selector)).items).toEqual([]);
        expect(await othersState(kube)).toEqual(before);
      } finally {
        if (run) await removeRunObjects(admin, run.runId);
        await handle.release();
      }
    });
  });
});
