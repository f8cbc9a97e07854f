import { down } from "../clusters/local/provider.ts";
import { removeRunObjects } from "./cleanup.ts";
import type { CleanupTask } from "./guardian.ts";
import { connect } from "./kube/client.ts";
import { say } from "./progress.ts";

/** The guardian process (see guardian.ts). */
const task = JSON.parse(process.argv[2] ?? "{}") as CleanupTask;
let received = "";

process.stdin.on("data", (chunk: Buffer) => {
  received += chunk.toString();
});
process.stdin.on("end", async () => {
  if (received.includes("dismiss")) process.exit(0);
  say("guardian", "the test run ended without cleaning up (interrupted or killed); cleaning up for it");
  try {
    if (task.runObjects) {
      const removed = await removeRunObjects(connect(task.runObjects.kubeconfigPath), task.runObjects.runId);
      say(
        "guardian",
        `removed ${removed.length} object(s) of run ${task.runObjects.runId}: ${removed.join(", ")}`,
      );
    }
    if (task.localCluster) await down(task.localCluster);
    process.exit(0);
  } catch (error) {
    say("guardian", `cleanup failed: ${(error as Error).message}`);
    process.exit(1);
  }
});
// A terminal that closes sends SIGHUP to its session; this one is not that session, but be sure.
process.on("SIGHUP", () => {});
