import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubernetesObject, V1Job, V1Namespace, V1Pod } from "@kubernetes/client-node";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { resolveComponents } from "../clusters/binaries/resolve.ts";
import { buildInClusterImages, type InClusterImages } from "../clusters/kind/images/in-cluster-images.ts";
import { loadIntoKind } from "../clusters/kind/provider.ts";
import { serverSideApply } from "../lib/kube/apply.ts";
import { connect, type Kube } from "../lib/kube/client.ts";
import { execInPod } from "../lib/kube/exec.ts";
import { resources } from "../lib/kube/resources.ts";
import { waitFor } from "../lib/kube/wait.ts";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, OWNER_POD_ANNOTATION, RUN_LABEL } from "../lib/labels.ts";
import type { Certification } from "../lib/report/document.ts";
import { sonobuoyStatus } from "../lib/report/sonobuoy.ts";

/**
 * The in-cluster path on kind, for real: the suite's image (built here, no
 * registry) runs `amc run` as a Job with the least-privilege ServiceAccount of
 * manifests/in-cluster/, and as a Sonobuoy plugin (manifests/sonobuoy/amc.yaml)
 * under Sonobuoy built from the Go module proxy. Each leaves the verdicts an
 * `amc run` from outside leaves on the same cluster; two Jobs split by class
 * merge (`amc report --merge`) into the single Job's matrix; a Job's pod
 * killed mid-run leaves nothing that `amc cleanup` does not remove; and
 * `sonobuoy delete --wait` leaves nothing of the suite behind. The four run
 * side by side, as a fleet's runs would: each looks only at its own objects
 * (by name, or by the owner-pod annotation), and `amc cleanup` must keep the
 * live runs' objects while it removes the killed one's.
 */

const cluster = inject("cluster");
const run = inject("run");
const root = fileURLToPath(new URL("../", import.meta.url));
const scenarios = ["rwo-same-node", "rwo-cross-node"];
const classes = ["amc-block", "amc-shared"];
const namespace = "amc-system";
const jobs = { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true };
const minutes = (n: number) => n * 60_000;

type Matrix = string[][];

/** scenario, class and verdict of every result, sorted: what must be equal between two runs. */
function matrixOf(cert: Certification): Matrix {
  return cert.results.map((r) => [r.scenario, r.storageClass, r.verdict ?? "not-run"]).sort();
}

async function readCertification(dir: string): Promise<Certification> {
  return JSON.parse(await readFile(join(dir, "certification.json"), "utf8")) as Certification;
}

function manifests(file: string, image: string): Promise<KubernetesObject[]> {
  return readFile(join(root, file), "utf8").then((text) =>
    parseAllDocuments(text.replaceAll("amc.local/access-mode-conformance:0.1.0", image)).map(
      (doc) => doc.toJS() as KubernetesObject,
    ),
  );
}

describe.runIf(cluster.provider === "kind")("amc inside the cluster (kind)", { concurrent: true }, () => {
  let images: InClusterImages;
  let kube: Kube;
  let scratch: string;
  let rbac: KubernetesObject[];
  let sonobuoyBinary: string;
  let outside: Certification;

  const amc = (args: string[]) =>
    execa(process.execPath, [join(root, "bin/amc.js"), ...args], {
      reject: false,
      all: true,
      // Outside runs of their own: none of this test run's AMC_ settings but the timeouts.
      env: Object.fromEntries(
        Object.entries(process.env).filter(
          ([key]) => (!key.startsWith("AMC_") || key === "AMC_TIMEOUT_SCALE") && !key.startsWith("VITEST"),
        ),
      ),
      extendEnv: false,
    });

  const selection = (classNames: readonly string[]) => [
    "--scenario",
    scenarios.join(","),
    "--storage-class",
    classNames.join(","),
    "--image",
    run.image,
    // npm run test:kind doubles every wait (a loaded cluster of four kubelets): the runs in pods too.
    ...(process.env.AMC_TIMEOUT_SCALE ? ["--timeout", `${process.env.AMC_TIMEOUT_SCALE}x`] : []),
  ];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "amc-in-cluster-"));
    images = await buildInClusterImages();
    await loadIntoKind(cluster.name, [images.suite, images.sonobuoy]);
    const sonobuoy = (await resolveComponents(["sonobuoy"])).sonobuoy;
    sonobuoyBinary = join(sonobuoy?.dir ?? "", "sonobuoy");
    kube = connect(cluster.kubeconfigPath);
    rbac = await manifests("manifests/in-cluster/rbac.yaml", images.suite);
    for (const object of rbac) await serverSideApply(kube, object);
    // The same selection from outside, through the kubeconfig: what every in-cluster path must equal.
    const dir = join(scratch, "outside");
    const result = await amc([
      "run",
      "--kubeconfig",
      cluster.kubeconfigPath,
      ...selection(classes),
      "--report-dir",
      dir,
    ]);
    expect([0, 1], result.all).toContain(result.exitCode);
    outside = await readCertification(dir);
  }, minutes(15));

  afterAll(async () => {
    if (!kube) return;
    // The namespace takes the Jobs, claims and readers with it; the cluster-wide objects go by name.
    await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    for (const object of rbac ?? []) {
      if (object.kind === "Namespace" || object.kind === "ServiceAccount") continue;
      await kube.objects.delete(object).catch(() => undefined);
    }
    await waitFor(
      kube,
      resources.namespaces,
      {
        description: `namespace ${namespace} gone`,
        timeoutMs: minutes(3),
        fieldSelector: `metadata.name=${namespace}`,
      },
      (objects) => (objects.size === 0 ? true : undefined),
    );
    await rm(scratch, { recursive: true, force: true });
  }, minutes(5));

  /** Starts a Job (and its claim) of manifests/in-cluster/job.yaml named `name`, running amc with `args`. */
  async function startJob(name: string, args: string[]): Promise<void> {
    for (const object of await manifests("manifests/in-cluster/job.yaml", images.suite)) {
      if (object.kind === "PersistentVolumeClaim")
        object.metadata = { ...object.metadata, name: `${name}-reports` };
      if (object.kind === "Job") {
        const job = object as V1Job;
        job.metadata = { ...job.metadata, name };
        const spec = job.spec?.template.spec;
        const container = spec?.containers[0];
        if (!spec || !container) throw new Error("job.yaml has no container");
        container.args = args;
        for (const volume of spec.volumes ?? []) {
          if (volume.persistentVolumeClaim) volume.persistentVolumeClaim.claimName = `${name}-reports`;
        }
      }
      await kube.objects.create(object);
    }
  }

  async function jobEnd(name: string): Promise<"Complete" | "Failed"> {
    return waitFor<V1Job, "Complete" | "Failed">(
      kube,
      jobs,
      {
        description: `Job ${name} to end`,
        timeoutMs: minutes(15),
        namespace,
        fieldSelector: `metadata.name=${name}`,
      },
      (objects) => {
        const conditions = [...objects.values()][0]?.status?.conditions ?? [];
        const ended = conditions.find(
          (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
        );
        return ended?.type as "Complete" | "Failed" | undefined;
      },
    );
  }

  async function jobLog(name: string): Promise<string> {
    const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
    const pod = pods.items[0]?.metadata?.name;
    return pod ? kube.core.readNamespacedPodLog({ name: pod, namespace }) : "(no pod)";
  }

  /** The Job's report directory, through a reader pod on its claim (job.yaml's reports-reader.yaml). */
  async function fetchReports(name: string): Promise<string> {
    const [reader] = (await manifests("manifests/in-cluster/reports-reader.yaml", images.suite)) as V1Pod[];
    if (!reader?.spec) throw new Error("reports-reader.yaml has no pod");
    reader.metadata = { ...reader.metadata, name: `${name}-reader` };
    for (const volume of reader.spec.volumes ?? []) {
      if (volume.persistentVolumeClaim) volume.persistentVolumeClaim.claimName = `${name}-reports`;
    }
    await kube.core.createNamespacedPod({ namespace, body: reader });
    await waitFor<V1Pod, true>(
      kube,
      resources.pods,
      {
        description: `${name}-reader running`,
        timeoutMs: minutes(3),
        namespace,
        fieldSelector: `metadata.name=${name}-reader`,
      },
      (objects) => ([...objects.values()][0]?.status?.phase === "Running" ? true : undefined),
    );
    const { stdout } = await execInPod(
      kube,
      namespace,
      `${name}-reader`,
      "reader",
      ["sh", "-c", "tar -c -C /reports . | base64"],
      minutes(2),
    );
    const dir = join(scratch, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(scratch, `${name}.tar`), Buffer.from(stdout.replace(/\s/g, ""), "base64"));
    await execa("tar", ["-xf", join(scratch, `${name}.tar`), "-C", dir]);
    return dir;
  }

  async function runJob(name: string, args: string[]): Promise<Certification> {
    await startJob(name, args);
    const end = await jobEnd(name);
    // amc run's exit code 1 is a finding (rwo-cross-node on amc-shared): the Job then fails, with its reports.
    const log = await jobLog(name);
    expect(log, log).toMatch(/\[amc result\] exit code [01]:/);
    expect(["Complete", "Failed"]).toContain(end);
    return readCertification(await fetchReports(name));
  }

  it("a Job runs amc with the pod's ServiceAccount and leaves the verdicts of a run from outside", {
    timeout: minutes(20),
  }, async () => {
    const inside = await runJob("amc-run", [
      "run",
      "--cluster",
      "in-cluster",
      ...selection(classes),
      "--report-dir",
      "/reports",
    ]);
    expect(inside.cluster).toMatchObject({ provider: "in-cluster", fidelity: "full" });
    expect(inside.run.status).toBe("complete");
    expect(matrixOf(inside)).toEqual(matrixOf(outside));
    expect(matrixOf(inside)).toHaveLength(scenarios.length * classes.length);
  });

  it("two Jobs split by class merge into the single run's matrix", { timeout: minutes(20) }, async () => {
    const parts = classes.map((c, i) => ({ name: `amc-part-${i}`, classes: [c] }));
    for (const part of parts) {
      await startJob(part.name, [
        "run",
        "--cluster",
        "in-cluster",
        ...selection(part.classes),
        "--report-dir",
        "/reports",
      ]);
    }
    const dirs: string[] = [];
    for (const part of parts) {
      await jobEnd(part.name);
      dirs.push(await fetchReports(part.name));
    }
    const merged = join(scratch, "merged");
    const result = await amc(["report", "--merge", ...dirs, "--report-dir", merged]);
    expect(result.exitCode, result.all).toBe(0);
    const cert = await readCertification(merged);
    expect(cert.run.mergedFrom).toHaveLength(2);
    expect(matrixOf(cert)).toEqual(matrixOf(outside));
  });

  it("a Job's pod killed mid-run leaves nothing amc cleanup does not remove", {
    timeout: minutes(15),
  }, async () => {
    await startJob("amc-killed", [
      "run",
      "--cluster",
      "in-cluster",
      "--scenario",
      "rwo-handoff",
      "--storage-class",
      "amc-block",
      "--image",
      run.image,
      "--report-dir",
      "/reports",
    ]);
    // The run's first namespace, owned by the Job's pod: the run is under way.
    const owned = await waitFor<V1Namespace, V1Namespace>(
      kube,
      resources.namespaces,
      {
        description: "a namespace of the Job's run",
        timeoutMs: minutes(5),
        labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
      },
      (objects) =>
        [...objects.values()].find((ns) =>
          ns.metadata?.annotations?.[OWNER_POD_ANNOTATION]?.startsWith(`${namespace}/amc-killed-`),
        ),
    );
    const [, pod] = (owned.metadata?.annotations?.[OWNER_POD_ANNOTATION] ?? "").split("/");
    const runId = owned.metadata?.labels?.[RUN_LABEL] ?? "";
    await kube.core.deleteNamespacedPod({ name: pod ?? "", namespace, gracePeriodSeconds: 0 });
    await waitFor(
      kube,
      resources.pods,
      {
        description: `pod ${pod} gone`,
        timeoutMs: minutes(2),
        namespace,
        fieldSelector: `metadata.name=${pod}`,
      },
      (objects) => (objects.size === 0 ? true : undefined),
    );
    const cleanup = await amc(["cleanup", "--kubeconfig", cluster.kubeconfigPath]);
    expect(cleanup.exitCode, cleanup.all).toBe(0);
    expect(cleanup.stdout).toMatch(/^removed namespace /m);
    const left = await kube.core.listNamespace({ labelSelector: `${RUN_LABEL}=${runId}` });
    expect(left.items.map((n) => n.metadata?.name)).toEqual([]);
  });

  it("runs as a Sonobuoy plugin: sonobuoy results shows each verdict, the tarball holds the certification, delete leaves nothing", {
    timeout: minutes(25),
  }, async () => {
    const plugin = join(scratch, "amc.yaml");
    const definition = (await manifests("manifests/sonobuoy/amc.yaml", images.suite))[0] as {
      spec: { args: string[] };
    };
    definition.spec.args = [...definition.spec.args, ...selection(classes)];
    await writeFile(plugin, stringify(definition));
    const sonobuoy = (args: string[]) =>
      execa(sonobuoyBinary, [...args, "--kubeconfig", cluster.kubeconfigPath], { all: true, reject: false });
    const started = await sonobuoy([
      "run",
      "--plugin",
      plugin,
      "--sonobuoy-image",
      images.sonobuoy,
      "--image-pull-policy",
      "IfNotPresent",
      // --wait takes its minutes only after "=": a bare value would be an argument.
      "--wait=20",
      // Its preflight wants cluster DNS pods, which the air-gapped kind cluster has none of (no CoreDNS
      // image is built here); Sonobuoy itself reaches its aggregator by pod IP.
      "--skip-preflight",
    ]);
    try {
      expect(started.exitCode, started.all).toBe(0);
      const status = await sonobuoy(["status", "--json"]);
      const plugins = (
        JSON.parse(status.stdout) as {
          plugins: { plugin: string; status: string; progress?: { total: number; completed: number } }[];
        }
      ).plugins;
      expect(plugins.find((p) => p.plugin === "amc")).toMatchObject({
        status: "complete",
        progress: { total: 4, completed: 4 },
      });

      const retrieved = await sonobuoy(["retrieve", scratch]);
      expect(retrieved.exitCode, retrieved.all).toBe(0);
      const tarball = retrieved.stdout.trim().split("\n").at(-1) ?? "";
      const results = await execa(sonobuoyBinary, [
        "results",
        tarball,
        "--plugin",
        "amc",
        "--mode",
        "detailed",
      ]);
      const items = results.stdout
        .split("\n")
        .filter(Boolean)
        .map(
          (line) => JSON.parse(line) as { name: string; status: string; details?: Record<string, string> },
        );
      const byCase = items
        .map((i) => [i.details?.scenario, i.details?.storageClass, i.details?.verdict, i.status])
        .sort();
      expect(byCase).toEqual(
        outside.results
          .map((r) => [r.scenario, r.storageClass, r.verdict, sonobuoyStatus[r.verdict ?? "not-run"]])
          .sort(),
      );
      const listing = (await execa("tar", ["-tzf", tarball])).stdout;
      for (const file of ["certification.json", "certification.html", "junit.xml", "sonobuoy_results.yaml"]) {
        expect(listing).toMatch(new RegExp(`plugins/amc/results/global/.*${file.replace(".", "\\.")}`));
      }
    } finally {
      const deleted = await sonobuoy(["delete", "--wait"]);
      expect(deleted.exitCode, deleted.all).toBe(0);
    }
    const left = await kube.core.listNamespace({ labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` });
    expect(
      left.items
        .filter((n) => n.metadata?.annotations?.[OWNER_POD_ANNOTATION]?.startsWith("sonobuoy/"))
        .map((n) => n.metadata?.name),
    ).toEqual([]);
    const namespaces = await kube.core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).not.toContain("sonobuoy");
  });
});
