import { rmSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { timeoutsOf } from "./lib/scenario/timeouts.ts";
import { readSettings } from "./lib/settings.ts";

// The longest scenario (rwo-handoff) waits for a claim, an admission, a decision and a handoff,
// then cleans up in up to four waits: a test may take that long, and a minute more.
const settings = readSettings();
const t = timeoutsOf(settings);
const reportDir = settings.reportDir;
// Each run's Allure results start empty, or results of earlier runs would pile up in the report.
rmSync(`${reportDir}/allure-results`, { recursive: true, force: true });
const longestScenarioMs = t.claimBound + t.admitted + t.decision + t.handover + 4 * t.cleanup + 60_000;
// `amc run --parallel N`: at most N scenario cases at a time in each suite file; 1 runs them one by one.
const parallel = settings.parallel;

export default defineConfig({
  test: {
    // The end-to-end teardown writes the reports, removes the run's objects and stops the local cluster.
    teardownTimeout: 5 * 60_000,
    // Scenario results for QA dashboards; JUnit and the certification report come from the run records.
    reporters: ["default", ["allure-vitest/reporter", { resultsDir: `${reportDir}/allure-results` }]],
    projects: [
      {
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "clusters/**/*.test.ts", "app/**/*.test.ts", "docs/**/*.test.ts"],
          exclude: ["**/*.e2e.test.ts", "**/*.browser.test.ts"],
        },
      },
      {
        // The certification report in a real headless Chromium.
        test: {
          name: "browser",
          include: ["lib/**/*.browser.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: [
            "suites/**/*.e2e.test.ts",
            "clusters/**/*.e2e.test.ts",
            "lib/**/*.e2e.test.ts",
            "app/**/*.e2e.test.ts",
          ],
          globalSetup: ["suites/global-setup.ts"],
          // A handoff on real storage may wait out a 6-minute forced detach; waits have their own timeouts.
          testTimeout: longestScenarioMs,
          hookTimeout: 5 * 60_000,
          // Cases wait on the cluster, not on the CPU: run them, and the suite files, side by side.
          maxConcurrency: parallel ?? 32,
          maxWorkers: parallel === 1 ? 1 : 4,
        },
      },
    ],
  },
});
