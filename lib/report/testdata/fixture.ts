import { readdirSync, readFileSync } from "node:fs";
import type { ScenarioRecord } from "../../scenario/types.ts";
import type { RunPlan } from "../plan.ts";

/** One whole run on the local cluster, as it was written (plan, records, end): the reports' test input. */
const dir = new URL("./run/", import.meta.url);
const read = <T>(file: string) => JSON.parse(readFileSync(new URL(file, dir), "utf8")) as T;

export const recordedPlan = read<RunPlan>("plan.json");
export const recordedEnd = read<{ finishedAt: string; status: "complete" }>("end.json");
export const recordedRecords: ScenarioRecord[] = readdirSync(dir)
  .filter((f) => f.includes("@"))
  .sort()
  .map((f) => read<ScenarioRecord>(f));
