import { describe, expect, it } from "vitest";
import type { ClusterInfo } from "../../lib/cluster/contract.ts";
import { type CleanupTask, guardianSteps, isEmptyTask, mergeTasks, taskParts, withoutParts } from "./task.ts";

/** The guardian's task: how the run's updates add up, and the order the guardian works in. */

const cluster = (name: string): ClusterInfo => ({
  provider: "kind",
  name,
  kubeconfigPath: `/tmp/${name}.kubeconfig`,
  kubernetesVersion: "v1.36.0",
  fidelity: "full",
  nodes: [{ name: `${name}-worker` }, { name: `${name}-worker2` }],
});

const failedNode = (node: string): NonNullable<CleanupTask["nodeFaults"]> => ({
  provider: "kind",
  cluster: cluster("amc"),
  nodes: [node],
});

describe("the guardian's task", () => {
  it("replaces the failed node with the run's latest word, and keeps it through other updates", () => {
    let task: CleanupTask = { report: { reportDir: "reports", runId: "r1" } };
    task = mergeTasks(task, { nodeFaults: failedNode("amc-worker") });
    task = mergeTasks(task, { nodeFaults: failedNode("amc-worker2") });
    expect(task.nodeFaults).toEqual(failedNode("amc-worker2"));
    task = mergeTasks(task, { clusters: [{ provider: "kind", name: "amc" }], removePaths: ["/tmp/x"] });
    expect(task.nodeFaults).toEqual(failedNode("amc-worker2"));
    expect(task.report).toEqual({ reportDir: "reports", runId: "r1" });
    expect(task.clusters).toEqual([{ provider: "kind", name: "amc" }]);
  });

  it("has nothing left once the run restored the node itself", () => {
    const task: CleanupTask = { nodeFaults: failedNode("amc-worker") };
    expect(isEmptyTask(task)).toBe(false);
    expect(isEmptyTask(withoutParts(task, ["nodeFaults"]))).toBe(true);
    expect(withoutParts({ ...task, report: { reportDir: "reports", runId: "r1" } }, ["nodeFaults"])).toEqual({
      report: { reportDir: "reports", runId: "r1" },
    });
  });

  it("is done node first, then the reports, the run's objects, the clusters and last the paths", () => {
    // Every part, given in the reverse order.
    const task: CleanupTask = {
      removePaths: ["/tmp/copy", "/tmp/outcome"],
      clusters: [
        { provider: "kind", name: "amc-1" },
        { provider: "local", name: "amc-2" },
      ],
      runObjects: { kubeconfigPath: "/tmp/copy/kubeconfig", runId: "r1" },
      report: { reportDir: "reports", runId: "r1" },
      nodeFaults: failedNode("amc-worker"),
    };
    const steps = guardianSteps(task);
    expect(steps.map((step) => step.part)).toEqual([
      "nodeFaults",
      "report",
      "runObjects",
      "clusters",
      "clusters",
      "removePaths",
      "removePaths",
    ]);
    expect(steps[0]).toEqual({ part: "nodeFaults", nodeFaults: failedNode("amc-worker") });
    expect(steps.slice(3)).toEqual([
      { part: "clusters", cluster: { provider: "kind", name: "amc-1" } },
      { part: "clusters", cluster: { provider: "local", name: "amc-2" } },
      { part: "removePaths", path: "/tmp/copy" },
      { part: "removePaths", path: "/tmp/outcome" },
    ]);
    // taskParts lists the parts in the same order.
    expect([...new Set(steps.map((step) => step.part))]).toEqual(taskParts);
  });

  it("has no steps for the parts a task does not have", () => {
    expect(guardianSteps({})).toEqual([]);
    expect(guardianSteps({ clusters: [], nodeFaults: failedNode("n") }).map((s) => s.part)).toEqual([
      "nodeFaults",
    ]);
  });
});
