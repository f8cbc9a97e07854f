import { ApiException, type V1PriorityClass } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { removeRunObjects } from "./cleanup.ts";
import type { Kube } from "./kube/client.ts";

/**
 * The retries of a run's cleanup against a fake API: the priority classes
 * of a run, and an API server that refuses connections for a number of
 * calls. The namespaces' removal (watches) is covered end to end
 * (cleanup.e2e.test.ts).
 */

const refused = () =>
  Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:32766"), { code: "ECONNREFUSED" }),
  });

function fakeKube(options: { classes: string[]; failures: number; failWith?: () => unknown }) {
  const classes = new Set(options.classes);
  let calls = 0;
  const call = <T>(answer: () => T): Promise<T> => {
    calls++;
    return calls <= options.failures
      ? Promise.reject((options.failWith ?? refused)())
      : Promise.resolve(answer());
  };
  const kube = {
    // No node carries the run's zone-down taint here (removeRunTaints lists them first).
    core: { listNamespace: () => call(() => ({ items: [] })), listNode: () => call(() => ({ items: [] })) },
    storage: { listStorageClass: () => call(() => ({ items: [] })) },
    scheduling: {
      listPriorityClass: () =>
        call(() => ({
          items: [...classes].map((name): V1PriorityClass => ({ metadata: { name }, value: 1 })),
        })),
      deletePriorityClass: ({ name }: { name: string }) => call(() => classes.delete(name)),
    },
  } as unknown as Kube;
  return { kube, classes, calls: () => calls };
}

let stderr: string[] = [];
beforeEach(() => {
  stderr = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("the cleanup of a run", () => {
  it("tries again while the API server does not answer, and says so", async () => {
    const api = fakeKube({ classes: ["amc-run-1-high"], failures: 3 });
    const removed = await removeRunObjects(api.kube, "run-1", { patienceMs: 30_000 });
    expect(removed).toEqual(["priorityclass amc-run-1-high"]);
    expect(api.classes.size).toBe(0);
    expect(stderr.join("")).toMatch(
      /\[amc cleanup\] removing the objects of run run-1 failed: fetch failed.*ECONNREFUSED.*; trying again for up to 30s\n/,
    );
    expect(stderr.join("")).toContain("[amc cleanup] removing the objects of run run-1: done after");
  }, 20_000);

  it("gives up after its patience, naming what is left and the command that removes it", async () => {
    const api = fakeKube({ classes: ["amc-run-2-high", "amc-run-2-low"], failures: 2 });
    // Listed on the third call, then every deletion refused.
    let error: unknown;
    const deletions = api.kube.scheduling.deletePriorityClass;
    api.kube.scheduling.deletePriorityClass = () => Promise.reject(refused());
    await removeRunObjects(api.kube, "run-2", {
      patienceMs: 1_500,
      command: "amc cleanup --run run-2 --cluster-name amc",
    }).catch((e: unknown) => {
      error = e;
    });
    api.kube.scheduling.deletePriorityClass = deletions;
    expect(error).toMatchObject({ name: "CleanupError", code: "AMC_TEARDOWN" });
    expect((error as { left?: string[] }).left).toEqual([
      "priorityclass amc-run-2-high",
      "priorityclass amc-run-2-low",
    ]);
    expect((error as Error).message).toMatch(
      /^removing the objects of run run-2 failed after trying for [\d.]+s: fetch failed.*ECONNREFUSED.*\. Left on the cluster: priorityclass amc-run-2-high, priorityclass amc-run-2-low\. Once the cluster answers, remove it with: amc cleanup --run run-2 --cluster-name amc$/,
    );
  }, 20_000);

  it("says so when the cluster could not even be listed", async () => {
    const api = fakeKube({ classes: ["amc-run-3-high"], failures: 1_000 });
    const error = await removeRunObjects(api.kube, "run-3", { patienceMs: 0 }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "CleanupError", left: undefined });
    expect((error as Error).message).toContain(
      "Left on the cluster: whatever it created (the cluster could not be listed). Once the cluster answers, remove it with: amc cleanup --run run-3 (with the run's cluster flags)",
    );
  });

  it("stops at once on an answer that will not change", async () => {
    const forbidden = () => new ApiException(403, "Forbidden", { message: "forbidden" }, {});
    const api = fakeKube({ classes: ["amc-run-4-high"], failures: 1_000, failWith: forbidden });
    const started = Date.now();
    const error = await removeRunObjects(api.kube, "run-4", { patienceMs: 60_000 }).catch((e: Error) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({ name: "CleanupError", code: "AMC_TEARDOWN" });
    expect((error as Error).message).toMatch(/^removing the objects of run run-4 failed: HTTP 403: /);
  });
});
