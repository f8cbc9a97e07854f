import { readdirSync, readFileSync } from "node:fs";
import type { ScenarioRecord } from "../../scenario/types.ts";
import type { RunPlan } from "../plan.ts";

/**
 * Whole runs as they were written (plan, records, end): the reports' test input.
 * `run/`: every scenario but the node-failure ones on the local cluster.
 * `kind-failover/` and `local-failover/`: the node-failure scenarios alone
 * (--scenario rwo-node-loss,rwo-node-loss-force-delete,rwo-node-out-of-service),
 * both fault modes, on kind (real kubelets) and on the local cluster (kwok).
 */
function recordedRun(name: string) {
  const dir = new URL(`./${name}/`, import.meta.url);
  const read = <T>(file: string) => JSON.parse(readFileSync(new URL(file, dir), "utf8")) as T;
  return {
    plan: read<RunPlan>("plan.json"),
    end: read<{ finishedAt: string; status: "complete" }>("end.json"),
    records: readdirSync(dir)
      .filter((f) => f.includes("@"))
      .sort()
      .map((f) => read<ScenarioRecord>(f)),
  };
}

const run = recordedRun("run");
export const recordedPlan = run.plan;
export const recordedEnd = run.end;
export const recordedRecords: ScenarioRecord[] = run.records;

/** The node-failure scenarios on kind: 4 classes x 3 scenarios x 2 fault modes. */
export const kindFailover = recordedRun("kind-failover");
/** The node-failure scenarios on the local cluster (simulated nodes): 3 classes x 3 scenarios x 2 fault modes. */
export const localFailover = recordedRun("local-failover");
