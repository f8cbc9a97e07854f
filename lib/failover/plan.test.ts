import { describe, expect, it } from "vitest";
import type { NodeFaults } from "../cluster/contract.ts";
import { failoverScenarios, scenarios } from "../scenario/scenarios.ts";
import type { StorageProfile } from "../scenario/types.ts";
import { faultNodes, planFailover } from "./plan.ts";

const profile = (className: string, family: StorageProfile["family"]): StorageProfile => ({
  className,
  provisioner: `${className}.csi.test`,
  volumeBindingMode: "WaitForFirstConsumer",
  family,
  familyReason: "test",
  probe: { provisioned: false, message: "not probed" },
});

const storage = [
  profile("amc-block", "attachable"),
  profile("amc-local", "node-local"),
  profile("odd", "unknown"),
];
const pool = {
  nodes: [{ name: "amc-worker2" }, { name: "amc-worker" }],
  named: false,
  excluded: [{ name: "amc-control-plane", why: "taints the suite does not tolerate" }],
};
const faults: NodeFaults = {
  modes: ["kubelet-stopped"],
  describe: () => "kwok stops managing the node",
  fail: async () => {},
  restore: async () => {},
};

describe("planFailover", () => {
  const plan = planFailover({
    scenarios: [...scenarios, ...failoverScenarios],
    storage,
    pool,
    faults,
    settings: { modes: [] },
  });

  it("fails the first node by name and lets the workload move to the next", () => {
    expect(plan.nodes).toEqual({ failed: "amc-worker", other: "amc-worker2" });
  });

  it("shares one fault between the default and force-delete paths, and gives out-of-service its own", () => {
    expect(
      plan.faults.map((f) => [f.mode, f.cases.map((c) => `${c.scenario.id}@${c.storage.className}`)]),
    ).toEqual([
      [
        "kubelet-stopped",
        [
          "rwo-node-loss@amc-block",
          "rwo-node-loss@amc-local",
          "rwo-node-loss-force-delete@amc-block",
          "rwo-node-loss-force-delete@amc-local",
        ],
      ],
      ["kubelet-stopped", ["rwo-node-out-of-service@amc-block", "rwo-node-out-of-service@amc-local"]],
    ]);
  });

  it("says why the rest does not run: a mode the cluster lacks, a family it cannot predict", () => {
    const poweredOff = plan.notRun.filter((n) => n.mode === "powered-off");
    expect(poweredOff).toHaveLength(9);
    expect(poweredOff[0]?.reason).toMatch(/cannot fail a node this way \(node powered off/);
    const unknown = plan.notRun.filter((n) => n.mode === "kubelet-stopped");
    expect(unknown.map((n) => [n.storage.className, n.verdict])).toEqual([
      ["odd", "inconclusive"],
      ["odd", "inconclusive"],
      ["odd", "inconclusive"],
    ]);
  });

  it("runs nothing where the cluster cannot fail nodes, saying why", () => {
    const none = planFailover({
      scenarios: failoverScenarios,
      storage,
      pool,
      faults: { unavailable: "AMC_ALLOW_NODE_FAULTS is not set" },
      settings: { modes: ["powered-off"] },
    });
    expect(none.faults).toEqual([]);
    expect(new Set(none.notRun.map((n) => n.reason))).toEqual(new Set(["AMC_ALLOW_NODE_FAULTS is not set"]));
    expect(none.notRun).toHaveLength(9);
  });
});

describe("faultNodes", () => {
  it("takes the node asked for, and refuses one the suite does not place pods on", () => {
    expect(faultNodes(pool, "amc-worker2")).toEqual({ failed: "amc-worker2", other: "amc-worker" });
    expect(faultNodes(pool, "amc-control-plane")).toEqual({
      notApplicable: expect.stringContaining("AMC_FAULT_NODE names amc-control-plane"),
    });
    expect(faultNodes({ ...pool, nodes: [{ name: "amc-worker" }] }, undefined)).toEqual({
      notApplicable: expect.stringContaining("a cross-node scenario needs two"),
    });
  });

  it("moves the workload within the failed node's zone when it can (zonal storage could not leave it)", () => {
    const zoned = {
      ...pool,
      nodes: [
        { name: "amc-worker", zone: "a" },
        { name: "amc-worker2", zone: "b" },
        { name: "amc-worker3", zone: "a" },
      ],
    };
    expect(faultNodes(zoned, undefined)).toEqual({ failed: "amc-worker", other: "amc-worker3" });
    expect(faultNodes(zoned, "amc-worker2")).toEqual({ failed: "amc-worker2", other: "amc-worker" });
  });
});
