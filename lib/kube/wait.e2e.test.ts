import type { CoreV1Event } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect } from "./client.ts";
import { createNamespace, deleteNamespaceAndWait } from "./namespaces.ts";
import { resources } from "./resources.ts";
import { WaitTimeoutError, waitFor } from "./wait.ts";

/**
 * The waiter against a real API server. Events are created directly, as the
 * attach/detach controller creates its Multi-Attach event: once.
 */

const cluster = inject("cluster");
const run = inject("run");
const kube = connect(cluster.kubeconfigPath);
let namespace = "";

beforeAll(async () => {
  namespace = await createNamespace(kube, "amc-waiter", run);
});
afterAll(async () => {
  if (namespace) await deleteNamespaceAndWait(kube, namespace);
});

async function emit(name: string, message: string): Promise<void> {
  const now = new Date();
  await kube.core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `${name}.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}`, namespace },
      involvedObject: { kind: "Pod", name, namespace, apiVersion: "v1" },
      reason: "FailedAttachVolume",
      message,
      type: "Warning",
      source: { component: "amc-waiter-test" },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}

const multiAttachFor = (pod: string) => (events: ReadonlyMap<string, CoreV1Event>) =>
  [...events.values()].find(
    (e) => e.involvedObject.name === pod && e.message?.startsWith("Multi-Attach error"),
  );

describe("the waiter", () => {
  it("sees an event emitted once before the wait began (it lists before it watches)", async () => {
    await emit("early", 'Multi-Attach error for volume "pv-early" Volume is already used by pod(s) holder');
    const found = await waitFor(
      kube,
      resources.events,
      { description: "the early event", timeoutMs: 10_000, namespace },
      multiAttachFor("early"),
    );
    expect(found.message).toContain("pv-early");
  });

  it("sees an event emitted after the wait began (it watches from the list's version)", async () => {
    const waiting = waitFor(
      kube,
      resources.events,
      { description: "the late event", timeoutMs: 10_000, namespace },
      multiAttachFor("late"),
    );
    await emit("late", 'Multi-Attach error for volume "pv-late" Volume is already used by pod(s) holder');
    expect((await waiting).message).toContain("pv-late");
  });

  it("times out with what it last saw, never with a decision", async () => {
    const waiting = waitFor(
      kube,
      resources.events,
      { description: "an event that never comes", timeoutMs: 1_500, namespace },
      multiAttachFor("never"),
    );
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).lastSeen.map((e) => e.metadata?.name?.split(".")[0]).sort()).toEqual([
      "early",
      "late",
    ]);
  });
});
