import type { V1Node } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { explainNodeTimeout, unschedulableReason } from "./nodes.ts";
import { WaitTimeoutError } from "./wait.ts";

const node = (name: string, ready: boolean, spec: V1Node["spec"] = {}): V1Node => ({
  metadata: { name },
  spec,
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});
const notReadyTaint = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" };

describe("node schedulability", () => {
  it("names what keeps the suite's pods off a node", () => {
    expect(unschedulableReason(node("a", false))).toBe("not Ready");
    expect(unschedulableReason(node("a", true, { unschedulable: true }))).toBe("cordoned");
    expect(unschedulableReason(node("a", true, { taints: [notReadyTaint] }))).toBe(
      "taints the suite does not tolerate: node.kubernetes.io/not-ready:NoSchedule",
    );
    expect(unschedulableReason(node("a", true, { taints: [{ key: "k", effect: "PreferNoSchedule" }] }))).toBe(
      undefined,
    );
  });

  it("explains a timed-out node wait node by node", () => {
    const seen = [
      node("amc-node-a1", true),
      node("amc-node-a2", false),
      node("amc-node-b1", true, { taints: [notReadyTaint] }),
    ];
    const explained = explainNodeTimeout(new WaitTimeoutError("nodes Ready", 60_000, seen));
    expect(explained).toBeInstanceOf(WaitTimeoutError);
    expect((explained as Error).message).toBe(
      "timed out after 60000 ms waiting for nodes Ready (nodes seen: amc-node-a1: Ready and untainted; amc-node-a2: not Ready; amc-node-b1: taints the suite does not tolerate: node.kubernetes.io/not-ready:NoSchedule)",
    );
    expect((explainNodeTimeout(new WaitTimeoutError("nodes Ready", 1, [])) as Error).message).toContain(
      "nodes seen: none",
    );
    const other = new Error("fetch failed");
    expect(explainNodeTimeout(other)).toBe(other);
  });
});
