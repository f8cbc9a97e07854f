import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { pins } from "../../clusters/binaries/pins.ts";
import { HOSTNAME_LABEL } from "../../lib/labels.ts";
import { allScenarios } from "../../lib/scenario/scenarios.ts";

/**
 * What the nightly workflow (.github/workflows/nightly.yml) refers to, checked
 * where the workflow cannot run (no registry): every driver of its matrix has
 * a directory under manifests/nightly/ holding either its manifests, with the
 * StorageClass the matrix tests, or a README saying kind builds it in; every
 * such directory is in the matrix; the scenarios it names exist; the nodes it
 * and the manifests name are workers kind gives the cluster; the kind it
 * installs is the one pinned in clusters/binaries/pins.ts.
 */

export const nightlyManifestsDir = "manifests/nightly";

interface MatrixEntry {
  driver?: unknown;
  "storage-class"?: unknown;
  scenarios?: unknown;
  nodes?: unknown;
}

/** The names kind gives the worker nodes of a cluster: <name>-worker, <name>-worker2, ... */
function kindWorkerNames(cluster: string, kindConfigText: string): string[] {
  const config = parse(kindConfigText) as { nodes?: { role?: string }[] } | null;
  const workers = (config?.nodes ?? []).filter((node) => node.role === "worker").length;
  return Array.from({ length: workers }, (_, i) => `${cluster}-worker${i === 0 ? "" : i + 1}`);
}

/** Every `kubernetes.io/hostname` a pod template's nodeSelector names, in a parsed manifest. */
function hostnamesSelected(object: unknown): string[] {
  if (!object || typeof object !== "object") return [];
  const record = object as Record<string, unknown>;
  const selector = record.nodeSelector as Record<string, unknown> | undefined;
  const own = typeof selector?.[HOSTNAME_LABEL] === "string" ? [selector[HOSTNAME_LABEL]] : [];
  return [...own, ...Object.values(record).flatMap(hostnamesSelected)] as string[];
}

interface Workflow {
  env?: Record<string, unknown>;
  jobs?: Record<string, { strategy?: { matrix?: Record<string, unknown> } }>;
}

/** The problems found, one sentence each; empty when the workflow and the manifests agree. */
export function nightlyMatrixProblems(workflowText: string, root: string): string[] {
  const problems: string[] = [];
  const workflow = parse(workflowText) as Workflow;
  const matrices = Object.entries(workflow.jobs ?? {}).flatMap(([id, job]) =>
    job.strategy?.matrix && "driver" in job.strategy.matrix ? [{ id, matrix: job.strategy.matrix }] : [],
  );
  if (matrices.length !== 1) {
    return [`expected one job with a matrix of drivers, found ${matrices.length}`];
  }
  const { id, matrix } = matrices[0] as { id: string; matrix: Record<string, unknown> };

  if (workflow.env?.KIND_VERSION !== pins.kind) {
    problems.push(
      `env.KIND_VERSION is ${String(workflow.env?.KIND_VERSION)}, clusters/binaries/pins.ts pins kind ${pins.kind}`,
    );
  }

  const versions = Array.isArray(matrix.kubernetes) ? (matrix.kubernetes as unknown[]) : [];
  if (versions.length === 0) problems.push(`jobs.${id}: the matrix names no Kubernetes version`);
  for (const version of versions) {
    if (typeof version !== "string" || !/^v1\.\d+\.\d+$/.test(version)) {
      problems.push(`jobs.${id}: Kubernetes ${String(version)} is not a kindest/node tag such as v1.36.4`);
    }
  }

  // The node names the matrix and the manifests use are the ones kind gives this cluster's workers.
  const kindConfig = join(root, nightlyManifestsDir, "kind-cluster.yaml");
  const workers = existsSync(kindConfig)
    ? kindWorkerNames(String(workflow.env?.CLUSTER), readFileSync(kindConfig, "utf8"))
    : [];
  if (workers.length < 2) {
    problems.push(`${nightlyManifestsDir}/kind-cluster.yaml: expected at least two workers`);
  }
  const unknownNode = (name: string) => !workers.includes(name);

  const drivers = (Array.isArray(matrix.driver) ? matrix.driver : []).map(String);
  const include = (Array.isArray(matrix.include) ? matrix.include : []) as MatrixEntry[];
  const known = new Set(allScenarios.map((s) => s.id as string));
  for (const entry of include) {
    const nodes = typeof entry.nodes === "string" ? entry.nodes.split(",").map((n) => n.trim()) : [];
    for (const node of nodes.filter(unknownNode)) {
      problems.push(
        `jobs.${id}: driver ${String(entry.driver)} names node ${node}, not a worker of the kind cluster (${workers.join(", ")})`,
      );
    }
    if (!drivers.includes(String(entry.driver))) {
      problems.push(`jobs.${id}: an include entry names driver ${String(entry.driver)}, not in the matrix`);
    }
    const wanted = typeof entry.scenarios === "string" ? entry.scenarios.split(",") : [];
    for (const scenario of wanted.map((s) => s.trim()).filter((s) => !known.has(s))) {
      problems.push(`jobs.${id}: driver ${String(entry.driver)} names an unknown scenario ${scenario}`);
    }
  }

  for (const driver of drivers) {
    const dir = join(root, nightlyManifestsDir, driver);
    const where = `${nightlyManifestsDir}/${driver}`;
    const storageClass = include.find((e) => e.driver === driver)?.["storage-class"];
    if (typeof storageClass !== "string" || storageClass === "") {
      problems.push(`jobs.${id}: driver ${driver} has no storage-class in the matrix's include`);
    }
    if (!existsSync(dir)) {
      problems.push(
        `driver ${driver}: ${where}/ does not exist (its manifests, or a README if kind builds it in)`,
      );
      continue;
    }
    const manifests = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    if (manifests.length === 0) {
      const readme = join(dir, "README.md");
      if (!existsSync(readme) || !/built in/i.test(readFileSync(readme, "utf8"))) {
        problems.push(`driver ${driver}: ${where}/ has no *.yaml and no README.md saying it is built in`);
      }
      continue;
    }
    const classes: string[] = [];
    for (const file of manifests) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
        if (doc.errors.length > 0) {
          problems.push(`${where}/${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
          continue;
        }
        const object = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
        if (object?.kind === "StorageClass" && object.metadata?.name) classes.push(object.metadata.name);
        for (const node of hostnamesSelected(object).filter(unknownNode)) {
          problems.push(
            `${where}/${file}: a nodeSelector names ${node}, not a worker of the kind cluster (${workers.join(", ")})`,
          );
        }
      }
    }
    if (typeof storageClass === "string" && !classes.includes(storageClass)) {
      problems.push(
        `driver ${driver}: the matrix tests class ${storageClass}, which ${where}/*.yaml does not define (it defines: ${classes.join(", ") || "none"})`,
      );
    }
  }

  const base = join(root, nightlyManifestsDir);
  for (const entry of existsSync(base) ? readdirSync(base) : []) {
    if (statSync(join(base, entry)).isDirectory() && !drivers.includes(entry)) {
      problems.push(`${nightlyManifestsDir}/${entry}/ is not a driver of the matrix`);
    }
  }
  return problems;
}
