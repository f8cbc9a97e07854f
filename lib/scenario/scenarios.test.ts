import { describe, expect, it } from "vitest";
import { scenarioById } from "./scenarios.ts";
import type { StorageProfile } from "./types.ts";

/** Storage profiles as discovery reported them on a kind cluster (run 20261121t130538-4cec). */
const localPath: StorageProfile = {
  className: "standard",
  provisioner: "rancher.io/local-path",
  volumeBindingMode: "WaitForFirstConsumer",
  family: "node-local",
  familyReason:
    "a provisioned volume is pinned to node amc-0979f6-worker by node affinity on kubernetes.io/hostname",
  probe: {
    provisioned: true,
    volumeSource: "hostPath",
    nodeAffinity: { "kubernetes.io/hostname": ["amc-0979f6-worker"] },
    reachableFrom: ["amc-0979f6-worker"],
  },
};
const csiLocal: StorageProfile = {
  ...localPath,
  className: "amc-local",
  provisioner: "amc-local.csi.test",
  csiDriver: { name: "amc-local.csi.test", attachRequired: false },
  probe: { ...localPath.probe, volumeSource: "csi" } as StorageProfile["probe"],
};

describe("rwop-kubelet-guard expectation", () => {
  const guard = scenarioById("rwop-kubelet-guard");

  it("expects the kubelet to refuse a second pod on CSI volumes, tracked per volume", () => {
    expect(guard?.expect(csiLocal)).toMatchObject({ outcome: "rwop-kubelet-rejected" });
  });

  it("expects admission, reported as a finding, on hostPath volumes the kubelet tracks per pod", () => {
    const expectation = guard?.expect(localPath);
    expect(expectation).toMatchObject({ outcome: "admitted" });
    expect(expectation).toHaveProperty(
      "finding",
      expect.stringContaining("not enforced by the kubelet on standard"),
    );
  });
});
