import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ProcessRecord, startDetached, startTicksOf, stopProcess } from "../../lib/processes.ts";
import { readSupervision, type SupervisedCluster } from "./supervisor.ts";

/** Starting a local cluster's supervisor (supervisor.ts) as a detached process of its own. */

const supervisorMain = fileURLToPath(new URL("./supervisor-main.ts", import.meta.url));

export interface SupervisorPaths extends SupervisedCluster {
  /** The cluster's log directory: the supervisor logs to supervisor.log there. */
  logs: string;
}

/** Starts a cluster's supervisor, detached, and returns once it has recorded the components' state. */
export async function startSupervisor(paths: SupervisorPaths): Promise<ProcessRecord> {
  const logFile = join(paths.logs, "supervisor.log");
  const record = await startDetached(
    "supervisor",
    process.execPath,
    [
      supervisorMain,
      `--state=${paths.state}`,
      `--kwok-cluster-dir=${paths.kwokClusterDir}`,
      `--report=${paths.report}`,
    ],
    logFile,
  );
  // Ready once it has looked at every component and said so in the report (a predecessor's may be there).
  const deadline = Date.now() + 20_000;
  while ((await readSupervision(paths.report))?.supervisor.pid !== record.pid) {
    if ((await startTicksOf(record.pid)) !== record.startTicks)
      throw new Error(`the supervisor exited at once${await tail(logFile)}`);
    if (Date.now() > deadline) {
      await stopProcess(record);
      throw new Error(`the supervisor wrote no ${paths.report} in 20 s${await tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return record;
}

async function tail(logFile: string): Promise<string> {
  const text = (await readFile(logFile, "utf8").catch(() => "")).trimEnd();
  return text ? `; the end of ${logFile}:\n  ${text.split("\n").slice(-8).join("\n  ")}` : "";
}
