import { spawn } from "node:child_process";
import { access, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, describe, expect, inject, it } from "vitest";
import { localPaths } from "../../clusters/local/provider.ts";
import { cacheRoot } from "../../lib/cache-dir.ts";
import { connect } from "../../lib/kube/client.ts";
import { resources } from "../../lib/kube/resources.ts";
import { waitFor } from "../../lib/kube/wait.ts";
import { RUN_LABEL, SCENARIO_LABEL } from "../../lib/labels.ts";
import type { Certification } from "../../lib/report/document.ts";

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
    expect(cert.storageClasses.map((c) => c.name)).toEqual([
      "amc-block",
      "amc-local",
      "amc-shared",
      "amc-zonal",
    ]);
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
      "amc-zonal/rwo-cross-node": "held",
      "amc-zonal/handoff-budget": "held",
      "amc-zonal/zone-failover": "not-checked",
    });
    expect(cert.claims?.counts).toEqual({ held: 17, broken: 1, "not-checked": 13 });
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
      "lib/profile/testdata/missing-class.yaml:9:11: storage class amc-does-not-exist does not exist on the cluster; it has: amc-block, amc-local, amc-shared, amc-zonal",
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

/** What a run left in its temporary directory (TMPDIR): amc's scratch is named amc-run-*. */
async function scratchLeft(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith("amc-run-"));
}

/** A temporary directory of the test's own, as the run's TMPDIR: other runs on the machine leave theirs elsewhere. */
const newTmpDir = newReportDir;

/** The lines of stderr that are not amc's progress lines ("[amc local] ...") nor empty. */
const messageLines = (stderr: string) =>
  stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("[amc "));

describe.runIf(cluster.provider === "local").concurrent("amc under faults", () => {
  const quick = ["--scenario", "rwo-same-node", "--storage-class", "amc-block"];

  it("on SIGTERM exits 130 with an interrupted line, and leaves no scratch file", async () => {
    const reportDir = await newReportDir();
    const tmp = await newTmpDir();
    let terminated = false;
    const result = await runAmc(["run", ...quick, "--report-dir", reportDir], {
      env: cleanEnv({ TMPDIR: tmp, CI: "1" }),
      onStderr: (stderr, child) => {
        if (!terminated && stderr.includes("[amc run] rwo-same-node @ amc-block: started")) {
          terminated = true;
          child.kill("SIGTERM");
        }
      },
    });
    expect(terminated).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/\[amc run\] interrupted \(SIGTERM\)/);
    expect(await scratchLeft(tmp)).toEqual([]);
    expect((await readCertification(reportDir)).run.status).toBe("interrupted");
  });

  it("on SIGTERM before the run's plan exists writes a junit.xml that says the run did not start, and why", async () => {
    const reportDir = await newReportDir();
    let terminated = false;
    const result = await runAmc(["run", ...quick, "--report-dir", reportDir], {
      env: cleanEnv({ CI: "1" }),
      onStderr: (stderr, child) => {
        // The set-up's first lines: the cluster is being found, the plan not written yet.
        if (!terminated && stderr.includes("[amc ")) {
          terminated = true;
          child.kill("SIGTERM");
        }
      },
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(
      /\[amc run\] interrupted \(SIGTERM\) before the run started: .*junit\.xml says so/,
    );
    const junit = await readFile(join(reportDir, "junit.xml"), "utf8");
    expect(junit).toContain('errors="1"');
    expect(junit).toContain(
      `<error type="not-started" message="the run did not start: interrupted (SIGTERM) before the run&apos;s plan existed">`,
    );
    expect(await exists(join(reportDir, "certification.json"))).toBe(false);
  });

  it("killed (SIGKILL), leaves no scratch file: its guardian removes it", async () => {
    const tmp = await newTmpDir();
    let killed = false;
    const result = await runAmc(["run", ...quick, "--report-dir", await newReportDir()], {
      env: cleanEnv({ TMPDIR: tmp, CI: "1" }),
      onStderr: (stderr, child) => {
        if (!killed && stderr.includes("[amc setup] run ")) {
          killed = true;
          child.kill("SIGKILL");
        }
      },
    });
    expect(result.signal).toBe("SIGKILL");
    // "close" waited for the guardian, which holds amc's stderr.
    expect(result.stderr).toContain("[amc guardian]");
    expect(await scratchLeft(tmp)).toEqual([]);
  });

  it("refuses a bad --report-dir with exit code 2 within seconds, before any cluster work", async () => {
    const dir = await newReportDir();
    const file = join(dir, "a-file");
    await writeFile(file, "");
    const dangling = join(dir, "dangling");
    await symlink("/nonexistent/amc-reports", dangling);
    const cases: [string, string][] = [
      [file, `${file} is a file, not a directory`],
      [
        dangling,
        `${dangling} is a dangling symbolic link: it points to /nonexistent/amc-reports, which does not exist`,
      ],
      ["/proc/amc-reports", "/proc/amc-reports is under /proc, a pseudo file system of the kernel"],
    ];
    // What amc takes to start at all on this machine now (the other tests keep it busy).
    const before = Date.now();
    expect((await runAmc(["--version"])).code).toBe(0);
    const startup = Date.now() - before;
    for (const [reportDir, problem] of cases) {
      const started = Date.now();
      const result = await runAmc(["run", ...quick, "--report-dir", reportDir]);
      expect(result.code).toBe(2);
      expect(result.stderr.split("\n")[0]).toContain(`amc run: --report-dir ${reportDir}: ${problem}`);
      // No cluster looked for, no binary, no preflight: nothing but the message, in about the time amc
      // takes to start (0.7 s on an idle machine; loosely, as the other tests load this one).
      expect(result.stderr).not.toContain("[amc ");
      expect(Date.now() - started).toBeLessThan(2 * startup + 5_000);
    }
  });

  it("refuses a second run in a report directory a run is using, with exit code 2; the first goes on", async () => {
    const reportDir = await newReportDir();
    let second: Promise<Finished> | undefined;
    const first = await runAmc(["run", ...quick, "--report-dir", reportDir], {
      onStderr: (stderr) => {
        if (!second && stderr.includes("[amc setup] run ")) {
          second = runAmc(["certify", "--profile", "profiles/local.yaml", "--report-dir", reportDir]);
        }
      },
    });
    expect(first.code).toBe(0);
    const refused = await (second as Promise<Finished>);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^--report-dir ${reportDir}: ${reportDir} is in use by another run \\(pid \\d+, since .*\\)\\. Two runs`,
      ),
    );
    expect((await readCertification(reportDir)).results).toHaveLength(1);
  });

  it("says a set-up failure first, not under vitest's banners: amc and plain vitest", async () => {
    const reportDir = await newReportDir();
    const problem =
      "unknown storage class(es): nosuch; the cluster has: amc-block, amc-local, amc-shared, amc-zonal";
    const amcRun = await runAmc([
      "run",
      "--scenario",
      "rwo-same-node",
      "--storage-class",
      "nosuch",
      "--report-dir",
      reportDir,
    ]);
    const vitestRun = await runVitest(["run", "--project", "e2e", "suites/"], {
      AMC_SCENARIOS: "rwo-same-node",
      AMC_STORAGE_CLASSES: "nosuch",
      AMC_REPORT_DIR: await newReportDir(),
    });
    expect(amcRun.code).toBe(2);
    expect(vitestRun.code).toBe(1);
    for (const { stderr } of [amcRun, vitestRun]) {
      expect(messageLines(stderr)[0]).toBe(problem);
      expect(stderr).not.toMatch(/No test files found|Unhandled Error|node_modules/);
    }
    // CI's junit.xml says it too.
    expect(await readFile(join(reportDir, "junit.xml"), "utf8")).toContain(
      `the run did not start: ${problem}`,
    );
  });

  it("passes (exit code 0) under plain vitest when the scenario filter selects nothing of some suite files", async () => {
    const result = await runVitest(["run", "--project", "e2e", "suites/"], {
      AMC_SCENARIOS: "rwo-same-node",
      AMC_STORAGE_CLASSES: "amc-block",
      AMC_REPORT_DIR: await newReportDir(),
    });
    // One case runs; the RWOP, RWX, ROX, mixed-modes, workloads and zones files each say in a skipped
    // case that nothing of theirs was selected, upstream's driver (kind only) skips its two and the
    // in-cluster path (kind only) its four.
    expect(result.stdout).toMatch(/Tests .*1 passed.*12 skipped/);
    expect(result.code).toBe(0);
  });
});

/** `npx vitest ARGS` in the repository, as a user runs the suites without amc. */
async function runVitest(args: string[], env: Record<string, string>): Promise<Finished> {
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const result = await execa(process.execPath, [vitest, ...args], {
    cwd: root,
    env: cleanEnv({ CI: "1", NO_COLOR: "1", ...env }),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
  });
  return {
    code: result.exitCode ?? null,
    signal: (result.signal as NodeJS.Signals | undefined) ?? null,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}
