import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The end-to-end teardown removes the run's objects and stops the local cluster.
    teardownTimeout: 5 * 60_000,
    projects: [
      {
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "clusters/**/*.test.ts"],
          exclude: ["**/*.e2e.test.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["suites/**/*.e2e.test.ts", "clusters/**/*.e2e.test.ts", "lib/**/*.e2e.test.ts"],
          globalSetup: ["suites/global-setup.ts"],
          // A handoff on real storage may wait out a 6-minute forced detach; waits have their own timeouts.
          testTimeout: 15 * 60_000,
          hookTimeout: 5 * 60_000,
          // Cases wait on the cluster, not on the CPU: run them, and the suite files, side by side.
          maxConcurrency: 32,
          maxWorkers: 4,
        },
      },
    ],
  },
});
