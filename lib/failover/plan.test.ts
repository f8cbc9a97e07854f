import { describe, expect, it } from "vitest";
import type { NodeFaults } from "../cluster/contract.ts";
import { failoverScenarios, scenarios } from "../scenario/scenarios.ts";
import type { StorageProfile } from "../scenario/types.ts";
import { faultLanes, faultNodes, laneLimit, planFailover } from "./plan.ts";

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
    expect(plan.lanes).toEqual([{ failed: "amc-worker", other: "amc-worker2" }]);
    expect(plan.faults.map((f) => f.lane)).toEqual([0, 0]);
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

describe("lanes: modes side by side on nodes of their own", () => {
  const zoned = {
    named: false,
    excluded: [],
    nodes: [
      { name: "w1", zone: "a" },
      { name: "w2", zone: "a" },
      { name: "w3", zone: "b" },
      { name: "w4", zone: "b" },
    ],
  };
  const both: NodeFaults = { ...faults, modes: ["kubelet-stopped", "powered-off"] };

  it("lays the faults out over two lanes in two zones, the longest first, one after another within a lane", () => {
    const plan = planFailover({
      scenarios: failoverScenarios,
      storage,
      pool: zoned,
      faults: both,
      settings: { modes: [] },
      lanes: 2,
    });
    expect(plan.lanes).toEqual([
      { failed: "w1", other: "w2" },
      { failed: "w3", other: "w4" },
    ]);
    // The shared faults wait out the unmount wait on amc-block (attachable): one in each lane.
    expect(plan.faults.map((f) => [f.mode, f.cases[0]?.scenario.id, f.lane, f.nodes.failed])).toEqual([
      ["kubelet-stopped", "rwo-node-loss", 0, "w1"],
      ["kubelet-stopped", "rwo-node-out-of-service", 1, "w3"],
      ["powered-off", "rwo-node-loss", 1, "w3"],
      ["powered-off", "rwo-node-out-of-service", 0, "w1"],
    ]);
    // The same cases as one lane would run, and the same left out.
    const oneLane = planFailover({
      scenarios: failoverScenarios,
      storage,
      pool: zoned,
      faults: both,
      settings: { modes: [] },
    });
    expect(oneLane.lanes).toHaveLength(1);
    const cases = (p: typeof plan) =>
      p.faults.flatMap((f) => f.cases.map((c) => `${f.mode} ${c.scenario.id}@${c.storage.className}`));
    expect(cases(plan)).toEqual(cases(oneLane));
    expect(plan.notRun.map((n) => n.reason)).toEqual(oneLane.notRun.map((n) => n.reason));
  });

  it("uses one lane for a named node, or on a cluster the suite does not own", () => {
    const plan = (settings: { modes: string[]; node?: string }, lanes: number) =>
      planFailover({ scenarios: failoverScenarios, storage, pool: zoned, faults: both, settings, lanes });
    expect(plan({ modes: ["powered-off"] }, 2).lanes).toHaveLength(2);
    expect(laneLimit(true, {})).toBe(2);
    expect(laneLimit(true, { node: "w3" })).toBe(1);
    expect(laneLimit(false, {})).toBe(1);
    expect(plan({ modes: [], node: "w3" }, 2).lanes).toEqual([{ failed: "w3", other: "w4" }]);
  });

  it("pairs the extra lane as the first is paired: in one zone, or across when the first is", () => {
    expect(faultLanes({ ...zoned, nodes: zoned.nodes.slice(0, 3) }, undefined, 2)).toEqual([
      { failed: "w1", other: "w2" },
    ]);
    const spread = {
      ...zoned,
      nodes: [
        { name: "w1", zone: "a" },
        { name: "w2", zone: "b" },
        { name: "w3", zone: "c" },
        { name: "w4", zone: "c" },
      ],
    };
    // The first pair crosses zones (w1 has no zone mate), so the second crosses too, or there is none.
    expect(faultLanes(spread, undefined, 2)).toEqual([{ failed: "w1", other: "w2" }]);
    const unzoned = { ...zoned, nodes: zoned.nodes.map(({ name }) => ({ name })) };
    expect(faultLanes(unzoned, undefined, 2)).toEqual([
      { failed: "w1", other: "w2" },
      { failed: "w3", other: "w4" },
    ]);
  });

  it("does not use an extra lane where a class's node plugin is on one lane's nodes and not the other's", () => {
    const onFirstLaneOnly: StorageProfile = {
      ...profile("amc-block", "attachable"),
      pluginNodes: ["w1", "w2"],
    };
    const plan = planFailover({
      scenarios: failoverScenarios,
      storage: [onFirstLaneOnly],
      pool: zoned,
      faults: both,
      settings: { modes: [] },
      lanes: 2,
    });
    expect(plan.lanes).toEqual([{ failed: "w1", other: "w2" }]);
    expect(plan.faults.map((f) => f.lane)).toEqual([0, 0, 0, 0]);
    expect(plan.faults).toHaveLength(4);
  });
});
