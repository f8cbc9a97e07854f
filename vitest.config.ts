import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
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
          include: ["suites/**/*.e2e.test.ts", "clusters/**/*.e2e.test.ts"],
          globalSetup: ["suites/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
