import { readFileSync } from "node:fs";
import type { V1NodeList } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { InfrastructureError, UsageError } from "../errors.ts";
import { chooseNodes, nodePool, placementGate } from "./nodes.ts";

/**
 * Node objects in the shape `kubectl get nodes -o json` returns them (trimmed)
 * for a cloud cluster over three zones: a tainted control-plane node, a
 * cordoned node, a NotReady node, a node with a NoExecute taint of its own,
 * and one with a PreferNoSchedule taint, which does not keep pods away.
 */
const recorded = JSON.parse(
  readFileSync(new URL("./testdata/nodes-three-zones.json", import.meta.url), "utf8"),
) as V1NodeList;
const all = recorded.items;
const EBS_ZONE = "topology.ebs.csi.aws.com/zone";

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
};

describe("the node pool", () => {
  it("keeps the nodes that take untolerating pods, and says why each other node is left out", () => {
    const pool = nodePool(all);
    expect(pool.nodes).toEqual([
      { name: "worker-a1", zone: "us-east-1a" },
      { name: "worker-a2", zone: "us-east-1a" },
      { name: "worker-b1", zone: "us-east-1b" },
    ]);
    expect(pool.excluded).toEqual([
      {
        name: "cp-1",
        why: "taints the suite does not tolerate: node-role.kubernetes.io/control-plane:NoSchedule",
      },
      { name: "worker-b2", why: "cordoned" },
      { name: "worker-c1", why: "not Ready" },
      { name: "worker-c2", why: "taints the suite does not tolerate: storage:NoExecute" },
    ]);
    expect(Object.keys(pool.labels)).toEqual(["worker-a1", "worker-a2", "worker-b1"]);
    expect(pool.named).toBe(false);
  });

  it("uses the nodes named in AMC_NODES, in the order given", () => {
    const pool = nodePool(all, ["worker-b1", "worker-a1", "worker-b1"]);
    expect(pool.nodes.map((n) => n.name)).toEqual(["worker-b1", "worker-a1"]);
    expect(pool.named).toBe(true);
    expect(pool.excluded).toContainEqual({ name: "worker-a2", why: "not named in AMC_NODES" });
  });

  it("refuses an unknown node in AMC_NODES, naming the cluster's nodes", () => {
    const error = caught(() => nodePool(all, ["worker-a1", "worker-z9"]));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      "AMC_NODES: unknown node(s) worker-z9; the cluster's nodes are: cp-1, worker-a1, worker-a2, worker-b1, worker-b2, worker-c1, worker-c2",
    );
  });

  it("refuses a named node that does not take the suite's pods, saying why", () => {
    const error = caught(() => nodePool(all, ["worker-a1", "cp-1"]));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain("cp-1 (taints the suite does not tolerate");
  });

  it("is an infrastructure error when no node takes pods, with each node's reason", () => {
    const unusable = all.filter((n) => !n.metadata?.name?.match(/^worker-[ab]1|worker-a2$/));
    const error = caught(() => nodePool(unusable));
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message.split("\n")).toEqual([
      "no node of the cluster takes the suite's pods, which tolerate no taint:",
      "  - cp-1: taints the suite does not tolerate: node-role.kubernetes.io/control-plane:NoSchedule",
      "  - worker-b2: cordoned",
      "  - worker-c1: not Ready",
      "  - worker-c2: taints the suite does not tolerate: storage:NoExecute",
    ]);
  });
});

describe("node choice", () => {
  const pool = nodePool(all);
  const unsorted = [
    { name: "n-b1", zone: "b" },
    { name: "n-a2", zone: "a" },
    { name: "n-a1", zone: "a" },
  ];

  it("puts both pods of a same-node scenario on one node", () => {
    expect(chooseNodes(unsorted, "same-node")).toEqual({ first: "n-a1", reason: "both pods on n-a1" });
  });

  it("prefers two nodes of one zone for cross-node scenarios", () => {
    expect(chooseNodes(pool.nodes, "cross-node")).toEqual({
      first: "worker-a1",
      second: "worker-a2",
      reason: "worker-a1 and worker-a2, both in zone us-east-1a",
    });
  });

  it("starts where an existing volume is reachable", () => {
    const choice = chooseNodes(unsorted, "cross-node", { reachableFrom: ["n-b1"] });
    expect(choice).toMatchObject({ first: "n-b1", second: "n-a1" });
    expect("reason" in choice && choice.reason).toContain("no two nodes share a zone");
  });

  it("keeps zonal storage's two pods in one zone of the storage's own topology key", () => {
    const choice = chooseNodes(pool.nodes, "cross-node", { zoneKey: EBS_ZONE, nodeLabels: pool.labels });
    expect(choice).toEqual({
      first: "worker-a1",
      second: "worker-a2",
      reason: `worker-a1 and worker-a2, both in ${EBS_ZONE}=us-east-1a: the storage is zonal, and a node in another zone could not use the volume at all`,
    });
  });

  it("says a cross-node scenario on zonal storage is not applicable when no two nodes share a zone", () => {
    const named = nodePool(all, ["worker-b1", "worker-a1"]);
    const choice = chooseNodes(named.nodes, "cross-node", {
      named: true,
      zoneKey: EBS_ZONE,
      nodeLabels: named.labels,
    });
    expect(choice).toEqual({
      notApplicable: `the storage is zonal (its volumes are pinned by ${EBS_ZONE}) and no two schedulable nodes share a ${EBS_ZONE} (worker-b1: us-east-1b, worker-a1: us-east-1a): a pod in another zone would be refused for its zone, not for the access mode (named in AMC_NODES)`,
    });
  });

  it("takes the second node of zonal storage only among the nodes the existing volume reaches", () => {
    // worker-a2 shares worker-a1's zone, but the volume's node affinity leaves it out.
    const choice = chooseNodes(pool.nodes, "cross-node", {
      zoneKey: EBS_ZONE,
      nodeLabels: pool.labels,
      reachableFrom: ["worker-a1", "worker-b1"],
    });
    expect(choice).toMatchObject({
      notApplicable: expect.stringContaining("no two schedulable nodes share"),
    });
  });

  it("follows the order of AMC_NODES and says the nodes were named", () => {
    const named = nodePool(all, ["worker-b1", "worker-a1"]);
    expect(chooseNodes(named.nodes, "same-node", { named: true })).toEqual({
      first: "worker-b1",
      reason: "both pods on worker-b1 (named in AMC_NODES)",
    });
    expect(chooseNodes(named.nodes, "cross-node", { named: true })).toEqual({
      first: "worker-b1",
      second: "worker-a1",
      reason:
        "worker-b1 and worker-a1 (no two nodes share a zone: us-east-1b and us-east-1a) (named in AMC_NODES)",
    });
  });

  it("says a cross-node scenario is not applicable on one schedulable node, and why the others are out", () => {
    const one = nodePool(
      all.filter((n) => n.metadata?.name !== "worker-a2" && n.metadata?.name !== "worker-b1"),
    );
    expect(one.nodes.map((n) => n.name)).toEqual(["worker-a1"]);
    const reason = placementGate(one.nodes, "cross-node", one);
    expect(reason).toMatch(
      /^the cluster has one schedulable node \(worker-a1\); a cross-node scenario needs two; left out: cp-1 \(taints/,
    );
    expect(reason).toContain("worker-b2 (cordoned)");
    expect(chooseNodes(one.nodes, "cross-node", one)).toEqual({ notApplicable: reason });
    expect(placementGate(one.nodes, "same-node", one)).toBeUndefined();
  });

  it("puts a cross-zone scenario's second pod in another zone, of zonal storage's own key when it has one", () => {
    expect(chooseNodes(pool.nodes, "cross-zone")).toEqual({
      first: "worker-a1",
      second: "worker-b1",
      reason:
        "worker-a1 in topology.kubernetes.io/zone=us-east-1a, worker-b1 in topology.kubernetes.io/zone=us-east-1b",
    });
    const zonal = chooseNodes(pool.nodes, "cross-zone", { zoneKey: EBS_ZONE, nodeLabels: pool.labels });
    expect(zonal).toMatchObject({ first: "worker-a1", second: "worker-b1" });
    expect("reason" in zonal && zonal.reason).toContain(`${EBS_ZONE}=us-east-1b`);
    // An existing volume in zone b: the first pod goes there, the second to zone a.
    expect(chooseNodes(pool.nodes, "cross-zone", { reachableFrom: ["worker-b1"] })).toMatchObject({
      first: "worker-b1",
      second: "worker-a1",
    });
  });

  it("says a cross-zone scenario is not applicable when the nodes are all in one zone", () => {
    const oneZone = nodePool(all, ["worker-a1", "worker-a2"]);
    const reason = placementGate(oneZone.nodes, "cross-zone", oneZone);
    expect(reason).toBe(
      "the nodes AMC_NODES names are not in two zones (worker-a1: us-east-1a, worker-a2: us-east-1a); a cross-zone scenario needs nodes in two zones; left out: " +
        oneZone.excluded.map((e) => `${e.name} (${e.why})`).join(", "),
    );
    expect(chooseNodes(oneZone.nodes, "cross-zone", oneZone)).toEqual({ notApplicable: reason });
    // Two zones by the node label, but one by the storage's own key: decided when the nodes are chosen.
    const sameStorageZone = { "n-a1": { k: "z" }, "n-b1": { k: "z" }, "n-a2": { k: "z" } };
    expect(chooseNodes(unsorted, "cross-zone", { zoneKey: "k", nodeLabels: sameStorageZone })).toEqual({
      notApplicable:
        "no two schedulable nodes are in different zones of k (n-a1: z, n-a2: z, n-b1: z), or none of another zone than the volume's",
    });
  });

  it("says so when no schedulable node reaches the volume", () => {
    expect(chooseNodes(unsorted, "same-node", { reachableFrom: ["elsewhere"] })).toMatchObject({
      notApplicable: expect.stringContaining("no schedulable node"),
    });
  });
});
