import { describe, expect, it } from "vitest";
import { chooseNodes } from "./nodes.ts";

const nodes = [
  { name: "n-b1", zone: "b" },
  { name: "n-a2", zone: "a" },
  { name: "n-a1", zone: "a" },
];

describe("node choice", () => {
  it("puts both pods of a same-node scenario on one node", () => {
    expect(chooseNodes(nodes, "same-node")).toEqual({ first: "n-a1", reason: "both pods on n-a1" });
  });

  it("prefers two nodes of one zone for cross-node scenarios", () => {
    expect(chooseNodes(nodes, "cross-node")).toMatchObject({ first: "n-a1", second: "n-a2" });
  });

  it("starts where an existing volume is reachable", () => {
    const choice = chooseNodes(nodes, "cross-node", ["n-b1"]);
    expect(choice).toMatchObject({ first: "n-b1", second: "n-a1" });
    expect("reason" in choice && choice.reason).toContain("no two nodes share a zone");
  });

  it("says a cross-node scenario is not applicable on one schedulable node", () => {
    expect(chooseNodes([{ name: "solo" }], "cross-node")).toEqual({
      notApplicable: "the cluster has one schedulable node (solo); a cross-node scenario needs two",
    });
  });

  it("says so when no schedulable node reaches the volume", () => {
    expect(chooseNodes(nodes, "same-node", ["elsewhere"])).toMatchObject({
      notApplicable: expect.stringContaining("no schedulable node"),
    });
  });
});
