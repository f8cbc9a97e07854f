import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { TestCase, TestModule } from "vitest/node";
import { type ProgressUpdate, SonobuoyProgress } from "./sonobuoy-progress.ts";

/** A stand-in for Sonobuoy's worker: an HTTP server on a free port that keeps what is POSTed to /progress. */
async function progressPort(): Promise<{ url: string; received: ProgressUpdate[]; close: () => void }> {
  const received: ProgressUpdate[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      if (request.method === "POST" && request.url === "/progress") received.push(JSON.parse(body));
      response.writeHead(request.url === "/progress" ? 200 : 404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/progress`, received, close: () => server.close() };
}

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
