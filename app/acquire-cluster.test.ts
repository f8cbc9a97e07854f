import { describe, expect, it } from "vitest";
import type { ClusterHandle, ClusterProvider } from "../lib/cluster/contract.ts";
import { readSettings } from "../lib/settings.ts";
import { acquireCluster } from "./acquire-cluster.ts";
import type { Guardian } from "./guardian/guardian.ts";
import type { CleanupTask } from "./guardian/task.ts";

/** Acquisition under a guardian, with a provider that records what it is asked and a guardian that records what it is told. */

const handle: ClusterHandle = {
  provider: "fake",
  name: "c1",
  kubeconfigPath: "/tmp/kubeconfig",
  kubernetesVersion: "v1.36.3",
  fidelity: "full",
  nodes: [{ name: "n1" }],
  ownedByRun: true,
  release: async () => undefined,
};

function recordingGuardian() {
  const told: CleanupTask[] = [];
  const guardian: Guardian = {
    update: (task) => told.push(task),
    done: () => undefined,
    dismiss: () => told.push({}),
  };
  return { guardian, told };
}

function provider(acquire: ClusterProvider["acquire"]): ClusterProvider {
  return { id: "fake", summary: "a fake", facts: { fidelity: "full", nodeFaults: false }, acquire };
}

describe("acquireCluster", () => {
  it("asks the provider the settings name, and tells the guardian what the provider guards, as the provider's", async () => {
    const { guardian, told } = recordingGuardian();
    const asked: string[] = [];
    const got = await acquireCluster(readSettings({ AMC_CLUSTER: "fake", AMC_KEEP: "1" }), guardian, (id) => {
      asked.push(id);
      return provider(async ({ settings, guard }) => {
        expect(settings.cluster.keep).toBe(true);
        guard({ cluster: "c1" });
        guard({ path: "/tmp/amc-copy" });
        return handle;
      });
    });
    expect(asked).toEqual(["fake"]);
    expect(got).toBe(handle);
    expect(told).toEqual([
      { clusters: [{ provider: "fake", name: "c1" }] },
      { removePaths: ["/tmp/amc-copy"] },
    ]);
  });

  it("passes a failed acquisition on, and leaves the caller's guardian to the caller", async () => {
    const { guardian, told } = recordingGuardian();
    const failure = new Error("kind create cluster failed");
    const error = await acquireCluster(readSettings({ AMC_CLUSTER: "fake" }), guardian, () =>
      provider(async ({ guard }) => {
        guard({ cluster: "c2" });
        throw failure;
      }),
    ).catch((e: unknown) => e);
    expect(error).toBe(failure);
    // Told of the cluster (it may exist in part), and not dismissed: the caller decides.
    expect(told).toEqual([{ clusters: [{ provider: "fake", name: "c2" }] }]);
  });

  it("refuses a provider the registry does not have, naming the known ones", async () => {
    const error = await acquireCluster(readSettings({ AMC_CLUSTER: "minikube" })).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      "AMC_CLUSTER=minikube: unknown cluster provider (known: local, kind, kubeconfig, in-cluster)",
    );
    expect(error).toMatchObject({ code: "AMC_USAGE" });
  });
});
