import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { allureResultRuns } from "./allure-runs.ts";

// Two results allure-vitest wrote: a scenario case of run 20261121t141458-2314, and a test of the suite's own.
const results = fileURLToPath(new URL("./testdata/allure-results", import.meta.url));

describe("the runs in allure-results", () => {
  it("are read from the scenario cases' amc-run labels; other tests name none", async () => {
    expect([...(await allureResultRuns(results))]).toEqual(["20261121t141458-2314"]);
  });
});
