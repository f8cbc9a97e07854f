import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { removeRunObjects } from "../../lib/cleanup.ts";
import { connect } from "../../lib/kube/client.ts";
import { createNamespace } from "../../lib/kube/namespaces.ts";
import { renderClaim, renderPriorityClass } from "../../lib/manifests.ts";
import { currentProcess } from "../../lib/processes.ts";
import { newRunId, type RunOwner, runAnnotations, runLabels, thisHost } from "../../lib/run.ts";
import { ApiProxy } from "../faults/api-proxy.ts";

/**
 * What runs leave on a cluster, removed: by a run's cleanup that rides out
 * an API server that stops answering for a while, and by `amc cleanup` after
 * a run was killed. The objects are made as a run makes them (labels, owner
 * annotations) on this test run's local cluster, next to other tests' runs.
 *
 * The outage is a proxy of this test's own between the client and the API
 * server, closed for a while (connections refused, open ones cut), as the
 * client sees an API server that was killed and restarted: the cluster that
 * other tests use goes on answering them.
 */

const cluster = inject("cluster");
const admin = connect(cluster.kubeconfigPath);
const amc = fileURLToPath(new URL("../../bin/amc.js", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
let scratch = "";

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "amc-cleanup-e2e-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface FakeRun {
  runId: string;
  owner: RunOwner;
  startedAt: string;
}

const fakeRun = (owner: RunOwner): FakeRun => ({
  runId: newRunId(),
  owner,
  startedAt: new Date().toISOString(),
});

/** A process of this machine that has ended, as the owner of a run that was killed. */
async function deadOwner(): Promise<RunOwner> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  // The pid may be taken again, but never with this start time.
  return { host: thisHost(), pid: child.pid as number, startTicks: "1" };
}

async function liveOwner(): Promise<RunOwner> {
  return { host: thisHost(), ...(await currentProcess()) };
}

/** What a run leaves: a namespace of its own with a claim in it, and a PriorityClass. */
async function leaveObjects(run: FakeRun): Promise<{ namespace: string; priorityClass: string }> {
  const namespace = await createNamespace(admin, "amc-left", run);
  await admin.core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: renderClaim({
      name: "data",
      namespace,
      accessMode: "ReadWriteOnce",
      storageClassName: "amc-local",
      labels: runLabels(run.runId),
    }),
  });
  const priorityClass = `${namespace}-high`;
  await admin.scheduling.createPriorityClass({
    body: renderPriorityClass(priorityClass, 1_000, runLabels(run.runId), runAnnotations(run)),
  });
  return { namespace, priorityClass };
}

const namespaceExists = (name: string) =>
  admin.core.readNamespace({ name }).then(
    (ns) => ns.status?.phase !== "Terminating",
    () => false,
  );
const priorityClassExists = (name: string) =>
  admin.scheduling.readPriorityClass({ name }).then(
    () => true,
    () => false,
  );

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runAmc(args: string[]): Promise<Finished> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
  );
  const result = await execa(process.execPath, [amc, ...args], {
    cwd: root,
    env,
    extendEnv: false,
    reject: false,
    // The output as written: the test looks for whole lines, the last one's newline included.
    stripFinalNewline: false,
  });
  return { code: result.exitCode ?? null, stdout: result.stdout, stderr: result.stderr };
}

describe.runIf(cluster.provider === "local")("cleanup", () => {
  it("of a run rides out an API server that does not answer for 15 s", async () => {
    const run = fakeRun(await liveOwner());
    const left = await leaveObjects(run);
    const outage = new ApiProxy(admin.config.getCurrentCluster()?.server ?? "");
    await outage.open();
    // Each API call gives up after 2 s, as after its own patience in a longer outage: the cleanup goes on.
    const kube = connect(await outage.kubeconfig(cluster.kubeconfigPath, scratch), undefined, {
      outageBudgetMs: 2_000,
    });
    const said: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, "write").mockImplementation((chunk, ...rest) => {
      said.push(String(chunk));
      return write(chunk, ...(rest as []));
    });
    try {
      await outage.cut();
      const removal = removeRunObjects(kube, run.runId, { patienceMs: 60_000 });
      await sleep(15_000);
      await outage.open();
      const removed = await removal;
      expect(removed.sort()).toEqual([`namespace ${left.namespace}`, `priorityclass ${left.priorityClass}`]);
    } finally {
      vi.mocked(process.stderr.write).mockRestore();
      await outage.cut();
    }
    expect(await namespaceExists(left.namespace)).toBe(false);
    expect(await priorityClassExists(left.priorityClass)).toBe(false);
    const lines = said.join("");
    expect(lines).toContain(`[amc cleanup] removing the objects of run ${run.runId} failed:`);
    expect(lines).toContain("; trying again for up to 1m00s");
    expect(lines).toMatch(
      new RegExp(`\\[amc cleanup\\] removing the objects of run ${run.runId}: done after \\d+s of failures`),
    );
  }, 120_000);

  it("amc cleanup removes what killed runs left and keeps a live run's; --run removes one run's", async () => {
    const killed = fakeRun(await deadOwner());
    const live = fakeRun(await liveOwner());
    const gone = await leaveObjects(killed);
    const alive = await leaveObjects(live);

    const sweep = await runAmc(["cleanup", "--cluster-name", cluster.name]);
    expect(sweep.stderr).not.toMatch(/Error|failed/);
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toContain(`removed namespace ${gone.namespace}\n`);
    expect(sweep.stdout).toContain(`removed priorityclass ${gone.priorityClass}\n`);
    expect(sweep.stdout).not.toContain(alive.namespace);
    expect(sweep.stderr).toMatch(/\[amc cleanup\] kept \d+ object\(s\) of runs that are alive/);
    expect(sweep.stderr).toContain(`namespace ${alive.namespace}`);
    expect(await namespaceExists(gone.namespace)).toBe(false);
    expect(await priorityClassExists(gone.priorityClass)).toBe(false);
    expect(await namespaceExists(alive.namespace)).toBe(true);
    expect(await priorityClassExists(alive.priorityClass)).toBe(true);

    const one = await runAmc(["cleanup", "--run", live.runId, "--cluster-name", cluster.name]);
    expect(one.code).toBe(0);
    expect(one.stdout.split("\n").filter(Boolean).sort()).toEqual([
      `removed namespace ${alive.namespace}`,
      `removed priorityclass ${alive.priorityClass}`,
    ]);
    expect(one.stderr).toContain(
      `[amc cleanup] removed 2 object(s) of run ${live.runId} from local cluster ${cluster.name}`,
    );
    expect(await namespaceExists(alive.namespace)).toBe(false);
    expect(await priorityClassExists(alive.priorityClass)).toBe(false);
  }, 180_000);

  it("amc cleanup never starts a cluster to clean it: one that is not running is exit code 3", async () => {
    const result = await runAmc(["cleanup", "--cluster-name", "amc-not-here"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('local cluster "amc-not-here" cannot be cleaned, it is not running');
    expect(result.stderr).not.toContain("creating local cluster");
  });
});
