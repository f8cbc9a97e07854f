import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { findUpstreamArchive, upstreamSourceDirs } from "../upstream-src.ts";
import { parseTestDriver, warningText } from "./testdriver.ts";
import { mergeClaims } from "./testdriver-merge.ts";

/**
 * A real test-driver file: csi-driver-host-path v1.18.0's
 * deploy/kubernetes-distributed/test-driver.yaml, read from upstream's release
 * archive where the machine has it (never copied into the repository).
 * AMC_UPSTREAM_SRC names the directory of archives (lib/upstream-src.ts).
 */

const archiveName = "csi-driver-host-path-v1.18.0.tar.gz";
const member = "csi-driver-host-path-v1.18.0/deploy/kubernetes-distributed/test-driver.yaml";
const archive = findUpstreamArchive(archiveName);

describe("upstream's own test-driver file (csi-driver-host-path v1.18.0, distributed deployment)", () => {
  it("maps to the hostpath driver's class and claims, and names what amc does not check", async (ctx) => {
    if (!archive) {
      ctx.skip(
        `${archiveName} is in none of ${upstreamSourceDirs().join(", ")} (AMC_UPSTREAM_SRC names its directory)`,
      );
      return;
    }
    const text = (await execa("tar", ["-xzOf", archive, member])).stdout;
    const hostpath = parseTestDriver("test-driver.yaml", text);
    expect(hostpath.driverName).toBe("hostpath.csi.k8s.io");
    expect(hostpath.storageClass).toMatchObject({
      name: "csi-hostpath-fast",
      source: "FromExistingClassName",
    });
    expect(hostpath.topologyKeys).toEqual(["topology.hostpath.csi/node"]);
    expect(hostpath.timeoutScale.factor).toBe(1);

    const [claims] = mergeClaims([hostpath]).stored.profile.storageClasses;
    expect(claims).toMatchObject({
      name: "csi-hostpath-fast",
      provisioner: "hostpath.csi.k8s.io",
      // multipods: pods on one node share a volume; block: the same on raw block volumes.
      accessModes: ["ReadWriteOnce"],
      blockAccessModes: ["ReadWriteOnce"],
      // singleNodeVolume: a volume lives on one node.
      rwoCrossNode: "node-local",
    });
    // No readWriteOncePod, no RWX: upstream skips those tests, amc claims neither way.
    expect(Object.keys(claims?.unclaimed?.accessModes ?? {})).toEqual(["ReadWriteOncePod", "ReadWriteMany"]);
    expect(Object.keys(claims?.unclaimed?.blockAccessModes ?? {})).toEqual([
      "ReadWriteOncePod",
      "ReadWriteMany",
    ]);

    const warnings = hostpath.warnings.map((w) => [w.kind, w.path]);
    for (const unused of [
      "DriverInfo.SupportedSizeRange",
      "DriverInfo.Capabilities.exec",
      "DriverInfo.Capabilities.nodeExpansion",
      "DriverInfo.Capabilities.persistence",
      "DriverInfo.Capabilities.topology",
      "DriverInfo.Capabilities.capacity",
      "DriverInfo.TopologyKeys",
      "InlineVolumes",
    ]) {
      expect(warnings).toContainEqual(["not-checked", unused]);
    }
    // The file writes `shared: true`; upstream's field is Shared, and it matches field names exactly.
    expect(warnings).toContainEqual(["unknown-key", "InlineVolumes[0].shared"]);
    expect(hostpath.warnings.map((w) => warningText("test-driver.yaml", w))).toContain(
      "test-driver.yaml:23:3: InlineVolumes[0].shared: unknown key: upstream ignores it without a word, and so does amc (did you mean Shared? upstream matches keys exactly, case included)",
    );
  });
});
