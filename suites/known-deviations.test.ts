import { describe, expect, it } from "vitest";
import { scenarioIds } from "../lib/scenario/scenarios.ts";
import { knownDeviationOf, knownDeviations } from "./known-deviations.ts";

describe("known deviations", () => {
  it("name scenarios that exist", () => {
    for (const known of knownDeviations) {
      for (const id of known.scenarios) expect(scenarioIds).toContain(id);
    }
  });

  it("match by provisioner and scenario, never by class name", () => {
    expect(knownDeviationOf({ provisioner: "hostpath.csi.k8s.io", scenario: "rwx-cross-node" })?.why).toMatch(
      /^upstream's csi-driver-host-path/,
    );
    expect(
      knownDeviationOf({ provisioner: "attach.hostpath.csi.k8s.io", scenario: "rwx-cross-node" }),
    ).toBeUndefined();
    expect(
      knownDeviationOf({ provisioner: "hostpath.csi.k8s.io", scenario: "rwo-cross-node" }),
    ).toBeUndefined();
  });

  it("list no driver of this project's own: its deviations are bugs", () => {
    expect(knownDeviations.filter((k) => k.provisioner.endsWith(".csi.test"))).toEqual([]);
  });
});
