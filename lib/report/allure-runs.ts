import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** The Allure label that names the run of each scenario case (a label, so Allure's history ids stay). */
export const ALLURE_RUN_LABEL = "amc-run";

/** The runs whose scenario cases an allure-results directory holds. */
export async function allureResultRuns(results: string): Promise<Set<string>> {
  const runs = new Set<string>();
  for (const file of (await readdir(results)).filter((f) => f.endsWith("-result.json"))) {
    let result: { labels?: { name: string; value: string }[] };
    try {
      result = JSON.parse(await readFile(join(results, file), "utf8"));
    } catch {
      continue; // cut short by an interrupted run: it names no run
    }
    for (const label of result.labels ?? []) if (label.name === ALLURE_RUN_LABEL) runs.add(label.value);
  }
  return runs;
}
