import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Kube } from "./client.ts";
import { ApiUnavailableError, apiErrorMessage } from "./errors.ts";
import { execInPod } from "./exec.ts";
import { closedPort, configFor, fakeExecServer } from "./testdata/servers.ts";

/** An exec while the container restarts, or while the API server is away. */

const kubeAt = (server: string, outageBudgetMs: number) =>
  ({ config: configFor(server), server, outageBudgetMs }) as unknown as Kube;

describe("execInPod", () => {
  beforeEach(() => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("runs the command once the container runs again (the exec was refused meanwhile)", async () => {
    const server = await fakeExecServer({ refusals: 2, stdout: "token\n" });
    try {
      const result = await execInPod(
        kubeAt(server.url, 5_000),
        "ns",
        "pod-a",
        "app",
        ["cat", "/data/t"],
        10_000,
      );
      expect(result.stdout).toBe("token\n");
      expect(result.status.status).toBe("Success");
      expect(server.upgrades).toBe(3);
    } finally {
      await server.close();
    }
  });

  it("fails with a readable message when the container never runs within the timeout", async () => {
    const server = await fakeExecServer({ refusals: 1_000, stdout: "" });
    try {
      const error = await execInPod(kubeAt(server.url, 5_000), "ns", "pod-a", "app", ["true"], 2_000).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(apiErrorMessage(error)).toBe("true in ns/pod-a failed: Unexpected server response: 500");
    } finally {
      await server.close();
    }
  });

  it("does not retry a refusal that stays (403)", async () => {
    const server = await fakeExecServer({ refusals: 1_000, refusalStatus: 403, stdout: "" });
    try {
      const error = await execInPod(kubeAt(server.url, 5_000), "ns", "pod-a", "app", ["true"], 10_000).catch(
        (e: unknown) => e,
      );
      expect(apiErrorMessage(error)).toBe("true in ns/pod-a failed: Unexpected server response: 403");
      expect(server.upgrades).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("waits out an API server that does not answer, then names it and the cause", async () => {
    const port = await closedPort();
    const server = `https://127.0.0.1:${port}`;
    const error = await execInPod(kubeAt(server, 1_500), "ns", "pod-a", "app", ["true"], 30_000).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(apiErrorMessage(error)).toBe(
      `the API server at ${server} did not answer for 2 s: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
