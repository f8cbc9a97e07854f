import { defineConfig } from "vitest/config";
import { reportDirProblem } from "./lib/report-dir.ts";
import { timeoutsOf } from "./lib/scenario/timeouts.ts";
import { readSettings } from "./lib/settings.ts";

// The longest scenario (rwo-handoff) waits for a claim, an admission, a decision and a handoff,
// then cleans up in up to four waits: a test may take that long, and a minute more.
const settings = readSettings();
const t = timeoutsOf(settings);
// Nothing is written or removed in it here: the global set-up checks and locks it first, then empties
// allure-results (a bad directory, or another run's, must not be touched while the config loads).
const reportDir = settings.reportDir;
// One that can hold no files (a file, a dangling link, /proc, where Allure's recursive mkdir would loop
// for ever) gets no Allure results: the end-to-end set-up refuses it with the reason, unit runs go on.
const allure: [string, { resultsDir: string }][] = reportDirProblem(reportDir, undefined, { create: false })
  ? []
  : [["allure-vitest/reporter", { resultsDir: `${reportDir}/allure-results` }]];
const longestScenarioMs = t.claimBound + t.admitted + t.decision + t.handover + 4 * t.cleanup + 60_000;
// `amc run --parallel N`: at most N scenario cases at a time in each suite file; 1 runs them one by one.
const parallel = settings.parallel;
// vitest runs the projects of one groupOrder side by side, and wants them to share maxWorkers.
const workers = parallel === 1 ? 1 : 4;

export default defineConfig({
  test: {
    // The end-to-end teardown writes the reports, removes the run's objects and stops the local cluster.
    teardownTimeout: 5 * 60_000,
    // Scenario results for QA dashboards; JUnit and the certification report come from the run records.
    reporters: ["default", ...allure],
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 1 },
          maxWorkers: workers,
          include: [
            "lib/**/*.test.ts",
            "clusters/**/*.test.ts",
            "app/**/*.test.ts",
            "docs/**/*.test.ts",
            "suites/**/*.test.ts",
          ],
          exclude: ["**/*.e2e.test.ts", "**/*.disruptive.test.ts", "**/*.browser.test.ts"],
        },
      },
      {
        // The certification report in a real headless Chromium.
        test: {
          name: "browser",
          sequence: { groupOrder: 1 },
          maxWorkers: workers,
          include: ["lib/**/*.browser.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          // After the unit and browser tests start (they run beside it), before the disruptive project.
          sequence: { groupOrder: 1 },
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
          maxWorkers: workers,
        },
      },
      {
        // The node-failure scenarios fail nodes: they run alone, after every other project
        // (groupOrder), one file at a time, each lane's faults one after another. The set-up is
        // the e2e project's, run once for both.
        test: {
          name: "disruptive",
          include: [
            "suites/**/*.disruptive.test.ts",
            "clusters/**/*.disruptive.test.ts",
            "app/**/*.disruptive.test.ts",
          ],
          globalSetup: ["suites/global-setup.ts"],
          sequence: { groupOrder: 2 },
          // A case waits for its fault and its lane's earlier one (a lane has a mode's two faults):
          // the force-delete path alone takes the eviction, the attach/detach controller's
          // 6-minute unmount wait and the budget, the out-of-service path the budget.
          testTimeout: 30 * 60_000 + 2 * settings.failover.budgetMs,
          hookTimeout: 5 * 60_000,
          maxWorkers: 1,
          // Every case of every lane at once (they wait on their lane's faults): with fewer, the
          // first lane's cases would hold every slot and the second lane would wait for them.
          maxConcurrency: 1000,
        },
      },
    ],
  },
});
