import { rm } from "node:fs/promises";
import { providerOf } from "../../clusters/registry.ts";
import { removeRunObjects } from "../../lib/cleanup.ts";
import { connect } from "../../lib/kube/client.ts";
import { say } from "../../lib/progress.ts";
import { reportRun } from "../../lib/report/write.ts";
import { type CleanupTask, mergeTasks } from "./task.ts";

/** The guardian process (see guardian.ts): reads JSON lines until the run's end closes the pipe. */
let task: CleanupTask = {};
let dismissed = false;
let pending = "";

process.stdin.on("data", (chunk: Buffer) => {
  pending += chunk.toString();
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines.filter(Boolean)) {
    const message = JSON.parse(line) as { update?: CleanupTask; dismiss?: boolean };
    if (message.update) task = mergeTasks(task, message.update);
    if (message.dismiss) dismissed = true;
  }
});

process.stdin.on("end", async () => {
  if (dismissed) process.exit(0);
  say("guardian", "the test run ended without finishing (interrupted or killed); finishing it");
  let failed = false;
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      failed = true;
      say("guardian", `${what} failed: ${(error as Error).message}`);
    }
  };
  const { report, runObjects, clusters, removePaths } = task;
  if (report) {
    await attempt("writing the reports", async () => {
      const end = { finishedAt: new Date().toISOString(), status: "interrupted" as const };
      const written = await reportRun(report.reportDir, report.runId, end);
      say(
        "guardian",
        written
          ? `reports of the interrupted run written to ${report.reportDir}`
          : "the run had not started its scenarios: no report",
      );
    });
  }
  if (runObjects) {
    await attempt("removing the run's objects", async () => {
      const removed = await removeRunObjects(connect(runObjects.kubeconfigPath), runObjects.runId);
      say(
        "guardian",
        `removed ${removed.length} object(s) of run ${runObjects.runId}: ${removed.join(", ")}`,
      );
    });
  }
  for (const cluster of clusters ?? []) {
    await attempt(`removing ${cluster.provider} cluster ${cluster.name}`, async () => {
      const lifecycle = providerOf(cluster.provider).lifecycle;
      if (!lifecycle) throw new Error(`provider ${cluster.provider} has no clusters of its own to remove`);
      await lifecycle.down(cluster.name);
    });
  }
  // Last: removing the run's objects above may need the private kubeconfig among these.
  for (const path of removePaths ?? []) {
    await attempt(`removing ${path}`, () => rm(path, { recursive: true, force: true }));
  }
  process.exit(failed ? 1 : 0);
});
// A terminal that closes sends SIGHUP to its session; this one is not that session, but be sure.
process.on("SIGHUP", () => {});
