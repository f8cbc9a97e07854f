import { afterEach, describe, expect, it } from "vitest";
import type { TestCase, TestModule } from "vitest/node";
import { SonobuoyProgress } from "./sonobuoy-progress.ts";
import { progressPort } from "./testdata/progress-port.ts";

const moduleOf = (tests: number) =>
  ({
    moduleId: "/opt/amc/suites/rwo.e2e.test.ts",
    children: { allTests: () => Array(tests).fill({}) },
  }) as unknown as TestModule;
const caseOf = (name: string, state: "passed" | "failed" | "skipped") =>
  ({ name, result: () => ({ state }) }) as unknown as TestCase;

describe("Sonobuoy progress", () => {
  let close = () => {};
  afterEach(() => close());

  it("posts the cases collected, done and failed after every case, in order", async () => {
    const port = await progressPort();
    close = port.close;
    const progress = new SonobuoyProgress(port.url);
    progress.onTestModuleCollected(moduleOf(4));
    progress.onTestCaseResult(caseOf("rwo-same-node @ amc-block", "passed"));
    progress.onTestCaseResult(caseOf("rwo-cross-node @ amc-block", "failed"));
    progress.onTestCaseResult(caseOf("rwo-cross-node @ amc-local", "skipped"));
    await progress.flush();
    expect(port.received).toEqual([
      { msg: "collected rwo.e2e.test.ts", total: 4, completed: 0, failures: [] },
      { msg: "rwo-same-node @ amc-block: passed", total: 4, completed: 1, failures: [] },
      {
        msg: "rwo-cross-node @ amc-block: failed",
        total: 4,
        completed: 2,
        failures: ["rwo-cross-node @ amc-block"],
      },
      {
        msg: "rwo-cross-node @ amc-local: skipped",
        total: 4,
        completed: 3,
        failures: ["rwo-cross-node @ amc-block"],
      },
    ]);
  });

  it("goes on, saying so once, when nothing listens", async () => {
    const port = await progressPort();
    port.close();
    const progress = new SonobuoyProgress(port.url);
    progress.onTestModuleCollected(moduleOf(1));
    progress.onTestCaseResult(caseOf("rwo-same-node @ amc-block", "passed"));
    await expect(progress.flush()).resolves.toBeUndefined();
  });
});
