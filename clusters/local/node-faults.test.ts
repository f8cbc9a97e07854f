import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { ClusterInfo, NodeFaults, NodeFaultsOrWhyNot } from "../../lib/cluster/contract.ts";
import { UsageError } from "../../lib/errors.ts";
import type { Kube } from "../../lib/kube/client.ts";
import { kwokControllerArgsOf, localNodeFaults, whyNotFaultable } from "./node-faults.ts";
import { localNodes } from "./topology.ts";

// What kwokctl v0.8.0 saved for a cluster of this amc (first document), and for one of an older amc.
const testdata = (file: string) => fileURLToPath(new URL(`./testdata/${file}`, import.meta.url));
const current = testdata("kwokctl-saved-config-node-faults.yaml");
const older = testdata("kwokctl-saved-config.yaml");

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A local cluster whose kwokctl directory holds `saved` as its kwok.yaml. */
function clusterWith(saved?: string, provider: ClusterInfo["provider"] = "local"): ClusterInfo {
  const dir = mkdtempSync(join(tmpdir(), "amc-node-faults-"));
  dirs.push(dir);
  if (saved) copyFileSync(saved, join(dir, "kwok.yaml"));
  return {
    provider,
    name: "amc-test",
    kubeconfigPath: join(dir, "kubeconfig.yaml"),
    kubernetesVersion: "v1.36.3",
    fidelity: "control-plane",
    nodes: [...localNodes],
  };
}

function faultsOf(result: NodeFaultsOrWhyNot): NodeFaults {
  if ("unavailable" in result) throw new Error(`unavailable: ${result.unavailable}`);
  return result;
}

/** A client that records the calls made and must not be asked anything else. */
function recordingKube() {
  const calls: unknown[] = [];
  const kube = {
    core: {
      readNode: async ({ name }: { name: string }) => {
        calls.push(["readNode", name]);
        return { metadata: { name, labels: {} } };
      },
    },
    objects: {
      patch: async (object: unknown, ...rest: unknown[]) => {
        calls.push(["patch", object, rest.at(-1)]);
        return object;
      },
    },
  } as unknown as Kube;
  return { kube, calls };
}

describe("the local cluster's node faults", () => {
  it("need kwok-controller to manage only the nodes without the fault label", () => {
    const args = (file: string) => kwokControllerArgsOf(readFileSync(file, "utf8")) ?? [];
    expect(whyNotFaultable(args(current))).toBeUndefined();
    expect(whyNotFaultable(args(older))).toMatch(
      /runs without --manage-all-nodes=false --manage-nodes-with-label-selector=!access-mode-conformance\/node-fault \(its flags: --manage-all-nodes=true\)/,
    );
    // The last occurrence wins, as in Go's flag parsing.
    expect(
      whyNotFaultable([
        "--manage-all-nodes=false",
        "--manage-nodes-with-label-selector=!access-mode-conformance/node-fault",
        "--manage-all-nodes",
      ]),
    ).toMatch(/--manage-all-nodes=false/);
  });

  it("are unavailable, with the reason, on a cluster of an older amc, one without kwokctl's files, or another provider's", () => {
    expect(localNodeFaults(clusterWith(older))).toEqual({
      unavailable: expect.stringMatching(
        /^local cluster "amc-test": its kwok-controller runs without .*amc cluster up/,
      ),
    });
    expect(localNodeFaults(clusterWith())).toEqual({
      unavailable: expect.stringMatching(/cannot read kwokctl's configuration .*kwok\.yaml/),
    });
    expect(localNodeFaults(clusterWith(current, "kind"))).toEqual({
      unavailable: 'cluster "amc-test" is a kind cluster, not a local one',
    });
  });

  it("offer kubelet-stopped only, and say what it does", () => {
    const faults = faultsOf(localNodeFaults(clusterWith(current)));
    expect(faults.modes).toEqual(["kubelet-stopped"]);
    expect(faults.describe("kubelet-stopped")).toMatch(
      /^kwok stops managing the node in local cluster "amc-test" \(label access-mode-conformance\/node-fault=kubelet-stopped on the node\): no Lease renewals, no node status/,
    );
  });

  it("label the node to fail it, and remove the label to restore it, whatever was done before", async () => {
    const { kube, calls } = recordingKube();
    const faults = faultsOf(localNodeFaults(clusterWith(current), kube));
    await faults.fail("amc-node-a1", "kubelet-stopped");
    await faults.restore("amc-node-a1", "kubelet-stopped");
    await faults.restore("amc-node-a1", "powered-off");
    const label = (value: string | null) => [
      "patch",
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "amc-node-a1", labels: { "access-mode-conformance/node-fault": value } },
      },
      "application/merge-patch+json",
    ];
    expect(calls).toEqual([["readNode", "amc-node-a1"], label("kubelet-stopped"), label(null), label(null)]);
  });

  it("refuse a node that is not the cluster's, powered-off, and a node failed already", async () => {
    const { kube, calls } = recordingKube();
    const faults = faultsOf(localNodeFaults(clusterWith(current), kube));
    await expect(faults.fail("amc-control-plane", "kubelet-stopped")).rejects.toThrow(UsageError);
    await expect(faults.restore("other-node", "kubelet-stopped")).rejects.toThrow(
      /not a node of local cluster "amc-test" \(its nodes: amc-node-a1, amc-node-a2, amc-node-b1, amc-node-b2\)/,
    );
    await expect(faults.fail("amc-node-a1", "powered-off")).rejects.toThrow(/kubelet-stopped only/);
    expect(calls).toEqual([]);

    const failed = {
      ...kube,
      core: {
        readNode: async () => ({
          metadata: {
            name: "amc-node-a2",
            labels: { "access-mode-conformance/node-fault": "kubelet-stopped" },
          },
        }),
      },
    } as unknown as Kube;
    await expect(
      faultsOf(localNodeFaults(clusterWith(current), failed)).fail("amc-node-a2", "kubelet-stopped"),
    ).rejects.toThrow(/already failed .*restore it first/);
  });
});
