import { rm } from "node:fs/promises";
import { providerOf } from "../../clusters/registry.ts";
import { removeRunObjects } from "../../lib/cleanup.ts";
import { connect } from "../../lib/kube/client.ts";
import { say } from "../../lib/progress.ts";
import { recordedEnd, reportRun } from "../../lib/report/write.ts";
import { restoreFaultedNodes } from "./restore-node.ts";
import { type CleanupTask, guardianSteps, isEmptyTask, mergeTasks, withoutParts } from "./task.ts";

/** The guardian process (see guardian.ts): reads JSON lines until the run's end closes the pipe. */
let task: CleanupTask = {};
let dismissed = false;
let pending = "";

process.stdin.on("data", (chunk: Buffer) => {
  pending += chunk.toString();
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines.filter(Boolean)) {
    const message = JSON.parse(line) as { update?: CleanupTask; done?: string[]; dismiss?: boolean };
    if (message.update) task = mergeTasks(task, message.update);
    if (message.done) task = withoutParts(task, message.done);
    if (message.dismiss) dismissed = true;
  }
});

process.stdin.on("end", async () => {
  if (dismissed || isEmptyTask(task)) process.exit(0);
  const { report } = task;
  // A run that wrote its own reports (complete, or failed at its set-up) died in its cleanup, not in its scenarios.
  const end = report ? await recordedEnd(report.reportDir, report.runId) : undefined;
  const finished = end !== undefined && end.status !== "interrupted";
  say(
    "guardian",
    report && !finished
      ? "the test run ended without finishing (interrupted or killed); finishing it"
      : "the test run ended before its cleanup finished; finishing it",
  );
  let failed = false;
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      failed = true;
      say("guardian", `${what} failed: ${(error as Error).message}`);
    }
  };
  // In guardianSteps' order (task.ts): the failed node first, the paths last.
  for (const step of guardianSteps(task)) {
    switch (step.part) {
      case "nodeFaults":
        await restoreFaultedNodes(step.nodeFaults, attempt);
        break;
      case "report":
        if (finished) {
          say(
            "guardian",
            end.status === "complete"
              ? "the run's reports are complete; left as they are"
              : `the run's reports (${end.status}) are written; left as they are`,
          );
          break;
        }
        await attempt("writing the reports", async () => {
          const interrupted = { finishedAt: new Date().toISOString(), status: "interrupted" as const };
          const written = await reportRun(step.report.reportDir, step.report.runId, interrupted);
          say(
            "guardian",
            written?.kept
              ? "the run's reports are complete; left as they are"
              : written
                ? `reports of the interrupted run written to ${step.report.reportDir}`
                : "the run had not started its scenarios: no report",
          );
        });
        break;
      case "runObjects": {
        const { runObjects } = step;
        await attempt("removing the run's objects", async () => {
          const removed = await removeRunObjects(
            connect(runObjects.kubeconfigPath),
            runObjects.runId,
            runObjects.command ? { command: runObjects.command } : {},
          );
          say(
            "guardian",
            removed.length > 0
              ? `removed ${removed.length} object(s) of run ${runObjects.runId}: ${removed.join(", ")}`
              : `run ${runObjects.runId} left no objects`,
          );
        });
        break;
      }
      case "clusters": {
        const { cluster } = step;
        await attempt(`removing ${cluster.provider} cluster ${cluster.name}`, async () => {
          const lifecycle = providerOf(cluster.provider).lifecycle;
          if (!lifecycle)
            throw new Error(`provider ${cluster.provider} has no clusters of its own to remove`);
          await lifecycle.down(cluster.name);
        });
        break;
      }
      case "removePaths":
        await attempt(`removing ${step.path}`, () => rm(step.path, { recursive: true, force: true }));
        break;
    }
  }
  process.exit(failed ? 1 : 0);
});
// A terminal that closes sends SIGHUP to its session; this one is not that session, but be sure.
process.on("SIGHUP", () => {});
