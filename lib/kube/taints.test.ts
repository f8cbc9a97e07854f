import type { V1Node, V1Taint } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Kube } from "./client.ts";
import { removeRunTaints, removeZoneDownTaints, ZONE_DOWN_TAINT_KEY, zoneDownRun } from "./taints.ts";

/**
 * The zone failover's taints on a fake API holding Node objects: each run
 * removes only the taints it put (their value is its id), whatever else a
 * node carries.
 */

function fakeNodes(taints: Record<string, V1Taint[]>) {
  const nodes = new Map<string, V1Node>(
    Object.entries(taints).map(([name, list]) => [name, { metadata: { name }, spec: { taints: list } }]),
  );
  const kube = {
    core: {
      listNode: async () => ({ items: [...nodes.values()].map((n) => structuredClone(n)) }),
      readNode: async ({ name }: { name: string }) => structuredClone(nodes.get(name)),
      replaceNode: async ({ name, body }: { name: string; body: V1Node }) => nodes.set(name, body),
    },
  } as unknown as Kube;
  const left = () => Object.fromEntries([...nodes].map(([name, n]) => [name, n.spec?.taints ?? []]));
  return { kube, left };
}

const zoneDown = (runId: string): V1Taint => ({
  key: ZONE_DOWN_TAINT_KEY,
  value: runId,
  effect: "NoSchedule",
});
const controlPlane: V1Taint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

describe("the zone failover's taints", () => {
  it("are removed run by run: this run's only, and nothing else on the node", async () => {
    const api = fakeNodes({ a1: [zoneDown("run-1"), controlPlane], a2: [zoneDown("run-2")], b1: [] });
    expect(await removeRunTaints(api.kube, "run-1")).toEqual(["a1"]);
    expect(api.left()).toEqual({ a1: [controlPlane], a2: [zoneDown("run-2")], b1: [] });
  });

  it("of dead runs are removed by a sweep that keeps the live runs' ones", async () => {
    const api = fakeNodes({ a1: [zoneDown("dead")], a2: [zoneDown("live")], b1: [controlPlane] });
    const live = new Set(["live"]);
    expect(await removeZoneDownTaints(api.kube, (runId) => !live.has(runId))).toEqual(["a1"]);
    expect(api.left()).toEqual({ a1: [], a2: [zoneDown("live")], b1: [controlPlane] });
  });

  it("name the run that put them", () => {
    expect(zoneDownRun({ spec: { taints: [controlPlane, zoneDown("run-7")] } })).toBe("run-7");
    expect(zoneDownRun({ spec: { taints: [controlPlane] } })).toBeUndefined();
  });
});
