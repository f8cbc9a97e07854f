import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connect, type Kube } from "./client.ts";
import { ApiUnavailableError, apiErrorMessage } from "./errors.ts";
import { resources } from "./resources.ts";
import { type FakeApiServer, fakeApiServer } from "./testdata/servers.ts";
import { openView, waitFor } from "./wait.ts";

/** The waiter against a fake API server that restarts: it resumes its watch, or gives up naming the server. */

const scratch = mkdtempSync(join(tmpdir(), "amc-wait-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function kubeFor(server: string, outageBudgetMs: number): Kube {
  const path = join(scratch, `${server.replace(/\W/g, "-")}.kubeconfig`);
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "current-context: test",
      `clusters:\n- name: test\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`,
      "contexts:\n- name: test\n  context:\n    cluster: test\n    user: test",
      "users:\n- name: test\n  user:\n    token: t",
      "",
    ].join("\n"),
  );
  return connect(path, undefined, { outageBudgetMs });
}

const until = (condition: () => boolean, timeoutMs = 5_000) =>
  vi.waitFor(() => expect(condition()).toBe(true), { timeout: timeoutMs, interval: 20 });

const podNamed = (name: string) => (pods: ReadonlyMap<string, KubernetesObject>) =>
  pods.has(`ns/${name}`) ? true : undefined;

describe("the waiter when the API server restarts", () => {
  let api: FakeApiServer;
  beforeEach(async () => {
    api = await fakeApiServer();
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await api.stop();
  });

  it("rides out a restart and resumes its watch from the last version it saw, without listing again", async () => {
    const kube = kubeFor(api.url, 10_000);
    const waiting = waitFor(
      kube,
      resources.pods,
      { description: "pod b", timeoutMs: 20_000, namespace: "ns" },
      podNamed("b"),
    );
    await until(() => api.watchVersions.length === 1);
    expect(api.watchVersions).toEqual(["10"]);
    api.push("MODIFIED", "a"); // version 11
    await new Promise((resolve) => setTimeout(resolve, 100));
    await api.stop();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await api.start();
    await until(() => api.watchVersions.length === 2);
    api.push("ADDED", "b");
    await expect(waiting).resolves.toBe(true);
    expect(api.watchVersions).toEqual(["10", "11"]);
    expect(api.lists).toBe(1);
  }, 15_000);

  it("lists again when the version it resumes from is too old (410)", async () => {
    const kube = kubeFor(api.url, 10_000);
    const waiting = waitFor(
      kube,
      resources.pods,
      { description: "pod b", timeoutMs: 20_000, namespace: "ns" },
      podNamed("b"),
    );
    await until(() => api.watchVersions.length === 1);
    api.push("MODIFIED", "a"); // version 11
    await new Promise((resolve) => setTimeout(resolve, 100));
    await api.stop();
    api.oldestVersion = 100;
    api.push("ADDED", "b"); // made while the watch was away: the list sees it
    await api.start();
    await expect(waiting).resolves.toBe(true);
    expect(api.lists).toBe(2);
    expect(api.watchVersions.slice(0, 2)).toEqual(["10", "11"]);
  }, 15_000);

  it("fails after its outage budget with an error naming the API server and the cause", async () => {
    const kube = kubeFor(api.url, 2_000);
    const port = new URL(api.url).port;
    const waiting = waitFor(
      kube,
      resources.pods,
      { description: "pod b", timeoutMs: 20_000, namespace: "ns" },
      podNamed("b"),
    ).catch((error: unknown) => error);
    await until(() => api.watchVersions.length === 1);
    const stopped = Date.now();
    await api.stop();
    const error = await waiting;
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - stopped).toBeLessThan(6_000);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(apiErrorMessage(error)).toBe(
      `the API server at ${api.url} did not answer for 2 s: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    await api.start(); // for afterEach
  }, 15_000);
});

describe("a view kept across waits", () => {
  let api: FakeApiServer;
  beforeEach(async () => {
    api = await fakeApiServer();
  });
  afterEach(async () => {
    await api.stop();
  });

  it("lists once, keeps watching between its waits, and rejects a wait still pending when closed", async () => {
    const kube = kubeFor(api.url, 10_000);
    const seen: string[] = [];
    const view = openView(
      kube,
      { pods: { resource: resources.pods, namespace: "ns" } },
      { observe: (_source, type, object) => seen.push(`${type} ${object.metadata?.name}`) },
    );
    const wait = (name: string) =>
      view.until({ description: `pod ${name}`, timeoutMs: 10_000 }, (snapshot) =>
        podNamed(name)(snapshot.pods),
      );
    const first = wait("b");
    await until(() => api.watchVersions.length === 1);
    api.push("ADDED", "b");
    await expect(first).resolves.toBe(true);
    // Made while no wait was pending: the view has it when the next wait is put.
    api.push("ADDED", "c");
    await until(() => seen.includes("ADDED c"));
    await expect(wait("c")).resolves.toBe(true);
    const pending = wait("d").catch((error: unknown) => error);
    view.close();
    expect(String(await pending)).toContain("closed");
    expect(api.lists).toBe(1);
    expect(api.watchVersions).toEqual(["10"]);
    await expect(wait("b")).rejects.toThrow("closed");
  });
});
