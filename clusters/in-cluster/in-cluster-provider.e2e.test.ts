import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { serverSideApply } from "../../lib/kube/apply.ts";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { readSettings } from "../../lib/settings.ts";
import { acquireInCluster, notInClusterReason, SERVICE_ACCOUNT_DIR } from "./provider.ts";

/**
 * The in-cluster provider against a real API server: the files a pod of
 * manifests/in-cluster/rbac.yaml's ServiceAccount would have (a token the
 * API server issued for it, the cluster's CA, the namespace) under a root of
 * this test's own, and the service's host and port as Kubernetes sets them.
 * It passes the same preflight as a kubeconfig with those rights, and an
 * unbound ServiceAccount is refused with the permissions it lacks.
 */

const cluster = inject("cluster");
const namespace = "amc-system";
let admin: Kube;
let scratch: string;
let rbac: KubernetesObject[];
let env: NodeJS.ProcessEnv;

/** A pod's view of the service account `name`: its files under a root of its own. */
async function podRoot(name: string): Promise<string> {
  const root = join(scratch, name);
  const dir = join(root, SERVICE_ACCOUNT_DIR);
  await mkdir(dir, { recursive: true });
  const token = await admin.core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfigPath);
  const current = config.getCurrentCluster();
  const ca = current?.caFile ? await readFile(current.caFile) : Buffer.from(current?.caData ?? "", "base64");
  await writeFile(join(dir, "token"), token.status?.token ?? "");
  await writeFile(join(dir, "ca.crt"), ca);
  await writeFile(join(dir, "namespace"), namespace);
  return root;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "amc-in-cluster-provider-"));
  admin = connect(cluster.kubeconfigPath);
  const server = new URL(admin.config.getCurrentCluster()?.server ?? "");
  env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
  const text = await readFile(new URL("../../manifests/in-cluster/rbac.yaml", import.meta.url), "utf8");
  rbac = parseAllDocuments(text).map((doc) => doc.toJS() as KubernetesObject);
  for (const object of rbac) await serverSideApply(admin, object);
  await admin.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "unbound" } } });
});

afterAll(async () => {
  for (const object of [...(rbac ?? [])].reverse())
    await admin?.objects.delete(object).catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
});

describe("the in-cluster provider", () => {
  it("says why it cannot run outside a pod", async () => {
    expect(notInClusterReason(scratch, {})).toMatch(
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT not set/,
    );
    expect(notInClusterReason(join(scratch, "nowhere"), env)).toMatch(
      /no service account token at .*\/token/,
    );
    await expect(
      acquireInCluster(readSettings({ AMC_CLUSTER: "in-cluster" }), { env: {} }),
    ).rejects.toMatchObject({
      name: "UsageError",
    });
  });

  it("reaches the cluster with the ServiceAccount of rbac.yaml, which may do what the suite does", async () => {
    const root = await podRoot("amc");
    const handle = await acquireInCluster(readSettings({ AMC_CLUSTER: "in-cluster" }), { root, env });
    try {
      expect(handle).toMatchObject({
        provider: "in-cluster",
        name: "in-cluster",
        kubernetesVersion: cluster.kubernetesVersion,
        fidelity: cluster.fidelity,
        ownedByRun: false,
      });
      expect(handle.nodes.map((n) => n.name).sort()).toEqual(cluster.nodes.map((n) => n.name).sort());
      // The private kubeconfig names the token file (rotated by the kubelet), never the token.
      const kubeconfig = await readFile(handle.kubeconfigPath, "utf8");
      expect(kubeconfig).toContain(join(root, SERVICE_ACCOUNT_DIR, "token"));
      expect(kubeconfig).not.toContain(
        (await readFile(join(root, SERVICE_ACCOUNT_DIR, "token"), "utf8")).trim(),
      );
      const asPod = connect(handle.kubeconfigPath);
      const classes = await asPod.storage.listStorageClass();
      expect(classes.items.length).toBeGreaterThan(0);
    } finally {
      await handle.release();
    }
  });

  it("refuses a ServiceAccount without the role, naming what it may not do", async () => {
    const root = await podRoot("unbound");
    await expect(
      acquireInCluster(readSettings({ AMC_CLUSTER: "in-cluster" }), { root, env }),
    ).rejects.toThrow(/serviceaccount:amc-system:unbound.*lacks \d+ permission\(s\).*namespaces/s);
  });
});
