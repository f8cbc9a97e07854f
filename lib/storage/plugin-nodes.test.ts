import { readFileSync } from "node:fs";
import type { V1CSINodeList, V1NodeList } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { NodeFaults } from "../cluster/contract.ts";
import { planFailover } from "../failover/plan.ts";
import { chooseNodes, classPool, nodePool } from "../scenario/nodes.ts";
import { failoverScenarios, scenarioById } from "../scenario/scenarios.ts";
import type { StorageProfile } from "../scenario/types.ts";
import { scenarioGate } from "../scenario/verdict.ts";
import { pluginNodesOf } from "./discover.ts";

/**
 * The nodes and CSINodes of a kind cluster made by `amc cluster up` with
 * upstream's csi-driver-host-path installed twice: node-local on every worker
 * (hostpath.csi.k8s.io, a DaemonSet) and attachable with one plugin pod on
 * hp-worker (attach.hostpath.csi.k8s.io).
 */
const recorded = JSON.parse(
  readFileSync(new URL("./testdata/kind-hostpath-csinodes.json", import.meta.url), "utf8"),
) as V1CSINodeList & { nodes: V1NodeList };
const pool = nodePool(recorded.nodes.items);
const registered = new Map(
  recorded.items.map((n) => [n.metadata?.name ?? "", new Set((n.spec.drivers ?? []).map((d) => d.name))]),
);

const profile = (className: string, driver: string, family: StorageProfile["family"]): StorageProfile => {
  const pluginNodes = pluginNodesOf(driver, pool, registered);
  return {
    className,
    provisioner: driver,
    volumeBindingMode: "Immediate",
    csiDriver: { name: driver, attachRequired: family === "attachable" },
    family,
    familyReason: "recorded",
    probe: { provisioned: false, message: "not probed" },
    ...(pluginNodes ? { pluginNodes } : {}),
  };
};
const scenario = (id: string) => {
  const found = scenarioById(id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
};
const attach = profile("csi-hostpath-attach", "attach.hostpath.csi.k8s.io", "attachable");
const distributed = profile("csi-hostpath-fast", "hostpath.csi.k8s.io", "node-local");

describe("a class's nodes: where its CSI driver has a node plugin", () => {
  it("knows the pool: the three workers, not the tainted control plane", () => {
    expect(pool.nodes.map((n) => n.name)).toEqual(["hp-worker", "hp-worker2", "hp-worker3"]);
  });

  it("restricts a driver registered on one worker to that worker, and leaves a DaemonSet's driver unrestricted", () => {
    expect(attach.pluginNodes).toEqual(["hp-worker"]);
    expect(distributed.pluginNodes).toBeUndefined();
    expect(pluginNodesOf("amc-block.csi.test", pool, registered)).toBeUndefined();
    // No CSINode may be listed (an optional permission): no restriction.
    expect(pluginNodesOf("attach.hostpath.csi.k8s.io", pool, undefined)).toBeUndefined();
  });

  it("leaves the other workers out of the class's pool, saying why", () => {
    const own = classPool(pool, attach);
    expect(own.nodes.map((n) => n.name)).toEqual(["hp-worker"]);
    expect(own.excluded.filter((e) => e.name !== "hp-control-plane")).toEqual([
      {
        name: "hp-worker2",
        why: "no node plugin of attach.hostpath.csi.k8s.io: its CSINode does not list the driver",
      },
      {
        name: "hp-worker3",
        why: "no node plugin of attach.hostpath.csi.k8s.io: its CSINode does not list the driver",
      },
    ]);
    expect(classPool(pool, distributed)).toBe(pool);
  });

  it("makes a cross-node scenario not applicable on it, naming the driver, and runs a same-node one there", () => {
    const own = classPool(pool, attach);
    const gate = scenarioGate(scenario("rwo-cross-node"), "full", own);
    expect(gate).toMatch(
      /^the node plugin of attach\.hostpath\.csi\.k8s\.io is on one schedulable node only \(hp-worker\): a cross-node scenario needs two nodes that can mount the volume; left out: hp-control-plane .*, hp-worker2 \(no node plugin of attach\.hostpath\.csi\.k8s\.io/,
    );
    expect(scenarioGate(scenario("rwo-same-node"), "full", own)).toBeUndefined();
    expect(chooseNodes(own.nodes, "same-node", own)).toMatchObject({ first: "hp-worker" });
  });

  it("does not fail a node over for a class whose plugin is missing on either node", () => {
    const faults: NodeFaults = {
      modes: ["kubelet-stopped"],
      describe: () => "the kubelet is stopped",
      fail: async () => {},
      restore: async () => {},
    };
    const plan = planFailover({
      scenarios: failoverScenarios,
      storage: [attach, distributed],
      pool,
      faults,
      settings: { modes: ["kubelet-stopped"] },
    });
    expect(plan.lanes).toEqual([{ failed: "hp-worker", other: "hp-worker2" }]);
    const attachNotRun = plan.notRun.filter((n) => n.storage === attach);
    expect(attachNotRun.map((n) => n.scenario.id).sort()).toEqual(failoverScenarios.map((s) => s.id).sort());
    expect(attachNotRun[0]?.reason).toBe(
      "the node plugin of attach.hostpath.csi.k8s.io is not on hp-worker2 (its CSINode does not list the driver): the workload could not run on both the failed node and the other (hp-worker, hp-worker2)",
    );
    expect(plan.faults.flatMap((f) => f.cases.map((c) => c.storage.className))).not.toContain(
      "csi-hostpath-attach",
    );
  });
});
