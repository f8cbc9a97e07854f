import { readFileSync } from "node:fs";
import type { V1PersistentVolume } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { ProbeResult } from "../scenario/types.ts";
import { probeClaimName } from "./discover.ts";
import { namesSingleNodes, storageFamily, volumeReach, volumeSourceOf, zoneKeyOf } from "./family.ts";

const nodeLabels = {
  "amc-node-a1": {
    "kubernetes.io/hostname": "amc-node-a1",
    "topology.kubernetes.io/zone": "a",
    "topology.amc-local.csi.test/node": "amc-node-a1",
  },
  "amc-node-a2": {
    "kubernetes.io/hostname": "amc-node-a2",
    "topology.kubernetes.io/zone": "a",
    "topology.amc-local.csi.test/node": "amc-node-a2",
  },
  "amc-node-b1": {
    "kubernetes.io/hostname": "amc-node-b1",
    "topology.kubernetes.io/zone": "b",
    "topology.amc-local.csi.test/node": "amc-node-b1",
  },
};

/** PersistentVolumes provisioned on the local cluster (kubectl get pv -o json), one per class. */
const recorded = JSON.parse(
  readFileSync(new URL("./testdata/provisioned-volumes.json", import.meta.url), "utf8"),
) as Record<string, V1PersistentVolume>;

function probeOf(className: string): Extract<ProbeResult, { provisioned: true }> {
  const pv = recorded[className] as V1PersistentVolume;
  return { provisioned: true, volumeSource: volumeSourceOf(pv), ...volumeReach(pv, nodeLabels) };
}

describe("volume reach", () => {
  it("reads a node-local volume's node affinity and the one node it admits", () => {
    expect(probeOf("amc-local")).toEqual({
      provisioned: true,
      volumeSource: "csi",
      nodeAffinity: { "topology.amc-local.csi.test/node": ["amc-node-a1"] },
      reachableFrom: ["amc-node-a1"],
    });
  });

  it("takes a volume without node affinity as reachable from every node", () => {
    expect(probeOf("amc-block").reachableFrom).toEqual(["amc-node-a1", "amc-node-a2", "amc-node-b1"]);
  });
});

describe("node-level keys", () => {
  it("tell a key that names single nodes from a zone key", () => {
    expect(namesSingleNodes("topology.amc-local.csi.test/node", nodeLabels)).toBe(true);
    expect(namesSingleNodes("topology.kubernetes.io/zone", nodeLabels)).toBe(false);
    expect(namesSingleNodes("absent", nodeLabels)).toBe(false);
  });
});

describe("storage family", () => {
  const csi = (name: string, attachRequired: boolean) => ({ name, attachRequired });

  it("is attachable for a CSIDriver that requires attach", () => {
    const family = storageFamily({
      className: "amc-block",
      csiDriver: csi("amc-block.csi.test", true),
      probe: probeOf("amc-block"),
      nodeLabels,
    });
    expect(family.family).toBe("attachable");
  });

  it("is node-local when a provisioned volume is pinned to one node, whatever the CSIDriver says", () => {
    const family = storageFamily({
      className: "amc-local",
      csiDriver: csi("amc-local.csi.test", false),
      probe: probeOf("amc-local"),
      nodeLabels,
    });
    expect(family).toEqual({
      family: "node-local",
      reason:
        "a provisioned volume is pinned to node amc-node-a1 by node affinity on topology.amc-local.csi.test/node",
    });
  });

  it("is shared for a CSIDriver without attach whose volumes every node reaches", () => {
    const family = storageFamily({
      className: "amc-shared",
      csiDriver: csi("amc-shared.csi.test", false),
      probe: probeOf("amc-shared"),
      nodeLabels,
    });
    expect(family.family).toBe("shared");
  });

  it("is not node-local for a zonal volume on a cluster with one node per zone", () => {
    const onePerZone = {
      n1: { "kubernetes.io/hostname": "n1", "topology.ebs.csi.aws.com/zone": "us-east-1a" },
      n2: { "kubernetes.io/hostname": "n2", "topology.ebs.csi.aws.com/zone": "us-east-1b" },
    };
    const zonal: ProbeResult = {
      provisioned: true,
      volumeSource: "csi",
      nodeAffinity: { "topology.ebs.csi.aws.com/zone": ["us-east-1a"] },
      reachableFrom: ["n1"],
    };
    const family = storageFamily({
      className: "gp3",
      csiDriver: csi("ebs.csi.aws.com", true),
      probe: zonal,
      nodeLabels: onePerZone,
    });
    expect(family.family).toBe("attachable");
  });

  it("is not node-local for a zonal volume, even in a zone of one node", () => {
    const zonal: ProbeResult = {
      provisioned: true,
      volumeSource: "csi",
      nodeAffinity: { "topology.kubernetes.io/zone": ["b"] },
      reachableFrom: ["amc-node-b1"],
    };
    expect(
      storageFamily({ className: "ebs", csiDriver: csi("ebs.csi.aws.com", true), probe: zonal, nodeLabels })
        .family,
    ).toBe("attachable");
  });

  it("follows in-tree volume sources without a CSIDriver", () => {
    const nfs: ProbeResult = {
      provisioned: true,
      volumeSource: "nfs",
      nodeAffinity: {},
      reachableFrom: Object.keys(nodeLabels),
    };
    expect(storageFamily({ className: "nfs", probe: nfs, nodeLabels }).family).toBe("shared");
    const hostPath: ProbeResult = {
      provisioned: true,
      volumeSource: "hostPath",
      nodeAffinity: { "kubernetes.io/hostname": ["amc-node-a2"] },
      reachableFrom: ["amc-node-a2"],
    };
    expect(storageFamily({ className: "standard", probe: hostPath, nodeLabels }).family).toBe("node-local");
  });

  it("is unknown when no volume could be provisioned to look at", () => {
    const family = storageFamily({
      className: "broken",
      csiDriver: csi("broken.example", false),
      probe: { provisioned: false, message: "timed out" },
      nodeLabels,
    });
    expect(family).toEqual({
      family: "unknown",
      reason:
        "CSIDriver broken.example attachRequired false; no volume could be provisioned to inspect: timed out",
    });
  });
});

describe("probe claim names", () => {
  it("are valid and distinct for long and odd class names", () => {
    const long = "a".repeat(70);
    expect(probeClaimName(long)).toMatch(/^probe-a{40}-[0-9a-f]{6}$/);
    expect(probeClaimName(`${long}x`)).not.toBe(probeClaimName(`${long}y`));
    expect(probeClaimName("Fast.SSD-")).toMatch(/^probe-fast-ssd-[0-9a-f]{6}$/);
  });
});

describe("the zone key of zonal storage", () => {
  const zonal: ProbeResult = {
    provisioned: true,
    volumeSource: "csi",
    nodeAffinity: { "topology.kubernetes.io/zone": ["a"] },
    reachableFrom: ["amc-node-a1", "amc-node-a2"],
  };

  it("is the probe volume's affinity key that spans several nodes", () => {
    expect(zoneKeyOf("attachable", zonal, nodeLabels)).toBe("topology.kubernetes.io/zone");
  });

  it("is absent for node-local storage and for volumes without node affinity", () => {
    expect(zoneKeyOf("node-local", probeOf("amc-local"), nodeLabels)).toBeUndefined();
    expect(zoneKeyOf("attachable", probeOf("amc-block"), nodeLabels)).toBeUndefined();
    expect(zoneKeyOf("unknown", { provisioned: false, message: "no" }, nodeLabels)).toBeUndefined();
  });
});
