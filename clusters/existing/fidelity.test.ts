import type { V1Node } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { renderNode } from "../local/objects.ts";
import { localStorageClasses } from "../local/storage.ts";
import { localNodes } from "../local/topology.ts";
import { fidelityOf } from "./fidelity.ts";

const node = (name: string, kubeletVersion: string): V1Node => ({
  metadata: { name, labels: { "kubernetes.io/hostname": name } },
  status: { nodeInfo: { kubeletVersion } as NonNullable<V1Node["status"]>["nodeInfo"] },
});
const real = (name: string) => node(name, "v1.33.5");

describe("fidelity of an existing cluster", () => {
  it("is full on real kubelets", () => {
    expect(fidelityOf([real("w1"), real("w2")]).fidelity).toBe("full");
  });

  it("is control-plane when kwok simulates nodes, as on the local cluster reached by its kubeconfig", () => {
    const local = localNodes.map((n) => renderNode(n, localStorageClasses));
    const { fidelity, reason } = fidelityOf([...local, real("w1")]);
    expect(fidelity).toBe("control-plane");
    expect(reason).toBe(
      "4 of 5 node(s) are simulated by kwok (amc-node-a1, amc-node-a2, amc-node-b1, amc-node-b2): kubelet-level checks would judge what kwok made up",
    );
  });

  it("knows kwok's nodes by the kubelet version kwok reports (as on the local cluster), annotated or not", () => {
    expect(fidelityOf([node("k1", "kwok-0.8.0"), real("w1")]).fidelity).toBe("control-plane");
  });
});
