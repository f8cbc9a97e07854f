import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { localPaths } from "../../clusters/local/provider.ts";
import { cacheRoot } from "../../lib/cache-dir.ts";
import { connect } from "../../lib/kube/client.ts";
import { resources } from "../../lib/kube/resources.ts";
import { waitFor } from "../../lib/kube/wait.ts";
import { RUN_LABEL, SCENARIO_LABEL } from "../../lib/labels.ts";
import type { Certification } from "../../lib/report/certification.ts";

/**
 * The real `amc` process against a real local cluster: exit codes, the
 * certification of the example profile, bad input, and Ctrl-C. To stay fast
 * the runs reuse the cluster of this test run (AMC_LOCAL_CLUSTER) and
 * restrict scenarios where the test allows it.
 */

const cluster = inject("cluster");
const amc = fileURLToPath(new URL("../../bin/amc.js", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const kube = connect(cluster.kubeconfigPath);

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user who set nothing, on this test run's cluster. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
  );
  return { ...env, AMC_LOCAL_CLUSTER: cluster.name, ...extra };
}

/**
 * Runs amc to its end. Resolves on "close", when every holder of its output
 * is gone: that includes the guardian an interrupted run leaves to clean up.
 */
function runAmc(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    onStderr?: (all: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<Finished> {
  const child = spawn(process.execPath, [amc, ...args], { cwd: root, env: options.env ?? cleanEnv() });
  let stdout = "";
  let stderr = "";
  let code: number | null = null;
  let signal: NodeJS.Signals | null = null;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(stderr, child);
  });
  child.on("exit", (c, s) => {
    code = c;
    signal = s;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", () => resolve({ code, signal, stdout, stderr }));
  });
}

const reportDirs: string[] = [];
const newReportDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "amc-e2e-"));
  reportDirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of reportDirs) await rm(dir, { recursive: true, force: true });
});

async function readCertification(reportDir: string): Promise<Certification> {
  return JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8")) as Certification;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const runIdOf = (stderr: string) => /\[amc setup\] run (\S+) on /.exec(stderr)?.[1];

const runObjects = async (runId: string) => {
  const labelSelector = `${RUN_LABEL}=${runId}`;
  const [namespaces, priorityClasses] = await Promise.all([
    kube.core.listNamespace({ labelSelector }),
    kube.scheduling.listPriorityClass({ labelSelector }),
  ]);
  return [...namespaces.items, ...priorityClasses.items].map((o) => o.metadata?.name);
};

describe.runIf(cluster.provider === "local").concurrent("amc", () => {
  it("certifies the local profile: amc-shared's naive RWO claim is broken, the rest hold, exit code 1", async () => {
    const reportDir = await newReportDir();
    // The RWOP scenarios are left out to keep it short: their claims are then not checked, and say so.
    const scenarios = "rwo-same-node,rwo-cross-node,rwo-handoff,rwx-cross-node";
    const result = await runAmc([
      "certify",
      "--profile",
      "profiles/local.yaml",
      "--scenario",
      scenarios,
      "--report-dir",
      reportDir,
    ]);
    expect(result.stderr).toContain("[amc result] exit code 1: 1 broken claim(s)");
    expect(result.code).toBe(1);

    const cert = await readCertification(reportDir);
    expect(cert.run.status).toBe("complete");
    expect(cert.storageClasses.map((c) => c.name)).toEqual(["amc-block", "amc-local", "amc-shared"]);
    expect(cert.claims?.profile.file).toBe("profiles/local.yaml");
    const status = Object.fromEntries((cert.claims?.results ?? []).map((c) => [c.id, c.status]));
    expect(status).toMatchObject({
      "amc-block/rwo-cross-node": "held",
      "amc-block/handoff-budget": "held",
      "amc-block/access-mode/ReadWriteMany": "held",
      "amc-local/rwo-cross-node": "held",
      "amc-shared/access-mode/ReadWriteMany": "held",
      "amc-shared/rwo-cross-node": "broken",
      "amc-shared/access-mode/ReadWriteOncePod": "not-checked",
    });
    expect(cert.claims?.counts).toEqual({ held: 12, broken: 1, "not-checked": 3 });
    expect(
      cert.claims?.results.find((c) => c.id === "amc-local/access-mode/ReadWriteOncePod")?.reason,
    ).toContain("rwop-same-node @ amc-local: not in this run's plan (left out with --scenario)");
    const broken = cert.claims?.results.find((c) => c.id === "amc-shared/rwo-cross-node");
    expect(broken?.evidence[0]).toMatchObject({ scenario: "rwo-cross-node", outcome: "admitted" });
    const markdown = await readFile(join(reportDir, "certification.md"), "utf8");
    expect(markdown).toMatch(/\| `amc-shared` \| RWO is attach-exclusive across nodes: .* \| BROKEN \|/);
  });

  it("refuses an unknown scenario with exit code 2 and the known ones, before any cluster work", async () => {
    const reportDir = await newReportDir();
    const result = await runAmc([
      "run",
      "--scenario",
      "rwo-cross-node,rwo-teleport",
      "--report-dir",
      reportDir,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^amc run: unknown scenario rwo-teleport; known scenarios: rwo-same-node, rwo-cross-node, rwo-handoff, .*\nusage: amc run \[options\]\n/,
    );
    expect(await exists(join(reportDir, "records"))).toBe(false);
  });

  it("refuses a malformed profile with exit code 2 and the file, line and column", async () => {
    const result = await runAmc(["certify", "--profile", "lib/profile/testdata/malformed.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^lib\/profile\/testdata\/malformed\.yaml:8:5: not valid YAML: /);
  });

  it("refuses a profile naming a class the cluster lacks with exit code 2, pointing at the name", async () => {
    const reportDir = await newReportDir();
    const result = await runAmc([
      "certify",
      "--profile",
      "lib/profile/testdata/missing-class.yaml",
      "--report-dir",
      reportDir,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "lib/profile/testdata/missing-class.yaml:9:11: storage class amc-does-not-exist does not exist on the cluster; it has: amc-block, amc-local, amc-shared",
    );
    expect(await exists(join(reportDir, "certification.json"))).toBe(false);
  });

  it("on Ctrl-C exits 130; the run's objects are removed and the partial reports written", async () => {
    const reportDir = await newReportDir();
    let interrupted = false;
    let runId: string | undefined;
    const result = await runAmc(
      ["run", "--scenario", "rwo-handoff", "--storage-class", "amc-block", "--report-dir", reportDir],
      {
        onStderr: (stderr, child) => {
          runId ??= runIdOf(stderr);
          if (!runId || interrupted) return;
          interrupted = true;
          const id = runId;
          // Mid-run: once the scenario's namespace exists, there is something to clean up.
          void waitFor(
            kube,
            resources.namespaces,
            {
              description: `a scenario namespace of run ${id}`,
              timeoutMs: 120_000,
              labelSelector: `${RUN_LABEL}=${id},${SCENARIO_LABEL}`,
            },
            (namespaces) => (namespaces.size > 0 ? true : undefined),
          ).then(() => child.kill("SIGINT"));
        },
      },
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("[amc guardian] the test run ended without finishing");
    expect(runId).toBeDefined();
    expect(await runObjects(runId as string)).toEqual([]);
    const cert = await readCertification(reportDir);
    expect(cert.run).toMatchObject({ id: runId, status: "interrupted" });
    expect(cert.results).toEqual([
      expect.objectContaining({ scenario: "rwo-handoff", storageClass: "amc-block", status: "not-run" }),
    ]);
    expect(await exists(join(reportDir, "junit.xml"))).toBe(true);
  });

  it("on Ctrl-C removes the local cluster the run started for itself", async () => {
    const reportDir = await newReportDir();
    let name: string | undefined;
    let interrupted = false;
    const result = await runAmc(
      ["run", "--scenario", "rwo-same-node", "--storage-class", "amc-local", "--report-dir", reportDir],
      {
        env: cleanEnv({ AMC_LOCAL_CLUSTER: "" }),
        onStderr: (stderr, child) => {
          name ??= /creating local cluster "([^"]+)"/.exec(stderr)?.[1];
          // Once the scenario started, the cluster is fully up and in use.
          if (name && !interrupted && stderr.includes("[amc run] rwo-same-node @ amc-local: started")) {
            interrupted = true;
            child.kill("SIGINT");
          }
        },
      },
    );
    expect(result.code).toBe(130);
    expect(name).toMatch(/^amc-[0-9a-f]{6}$/);
    expect(result.stderr).toContain(`local cluster "${name}" is down`);
    expect(await exists(localPaths(cacheRoot(), name as string).own)).toBe(false);
    expect((await readCertification(reportDir)).run.status).toBe("interrupted");
  });
});
