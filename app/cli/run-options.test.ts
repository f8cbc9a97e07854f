import { describe, expect, it } from "vitest";
import type { Command } from "./args.ts";
import { runEnvironment } from "./run-options.ts";
import { suitesFor } from "./run-suites.ts";

/** `amc run` flags into the AMC_* variables the suites read. */

const command: Command = { name: "run", usage: "usage: amc run [options]", help: "" };

describe("runEnvironment", () => {
  it("passes nothing when no flag is given, so the AMC_* variables of the environment apply", () => {
    expect(runEnvironment(command, {})).toEqual({});
  });

  it("translates every flag", () => {
    expect(
      runEnvironment(command, {
        cluster: "kind",
        "cluster-name": "ci",
        keep: true,
        "storage-class": ["standard", "amc-block,amc-local"],
        scenario: ["rwo-cross-node", "rwo-handoff,rwo-cross-node"],
        parallel: "4",
        timeout: "2.5x",
        "report-dir": "out",
        image: "busybox",
      }),
    ).toEqual({
      AMC_CLUSTER: "kind",
      AMC_CLUSTER_NAME: "ci",
      AMC_KEEP: "1",
      AMC_STORAGE_CLASSES: "standard,amc-block,amc-local",
      AMC_SCENARIOS: "rwo-cross-node,rwo-handoff",
      AMC_PARALLEL: "4",
      AMC_TIMEOUT_SCALE: "2.5",
      AMC_REPORT_DIR: "out",
      AMC_IMAGE: "busybox",
    });
  });

  it("takes the node-failure flags, the opt-in for an existing cluster's node among them", () => {
    expect(
      runEnvironment(command, {
        kubeconfig: "/k",
        "fault-mode": ["powered-off"],
        "fault-node": "worker-3",
        "failover-budget": "240",
        "allow-node-faults": true,
        "node-fail-command": "gcloud compute instances stop {node}",
        "node-restore-command": "gcloud compute instances start {node}",
      }),
    ).toEqual({
      AMC_CLUSTER: "kubeconfig",
      AMC_KUBECONFIG: "/k",
      AMC_FAULT_MODES: "powered-off",
      AMC_FAULT_NODE: "worker-3",
      AMC_FAILOVER_BUDGET: "240",
      AMC_ALLOW_NODE_FAULTS: "1",
      AMC_NODE_FAIL_COMMAND: "gcloud compute instances stop {node}",
      AMC_NODE_RESTORE_COMMAND: "gcloud compute instances start {node}",
    });
    expect(() => runEnvironment(command, { "fault-mode": ["unplugged"] })).toThrow(
      /^amc run: --fault-mode unplugged: unknown fault mode; known: kubelet-stopped, powered-off\n/,
    );
    expect(() => runEnvironment(command, { "failover-budget": "3m" })).toThrow(
      /^amc run: --failover-budget 3m: expected whole seconds\n/,
    );
  });

  it("takes --kubeconfig and --context for an existing cluster", () => {
    expect(runEnvironment(command, { kubeconfig: "/k", context: "lab" })).toEqual({
      AMC_CLUSTER: "kubeconfig",
      AMC_KUBECONFIG: "/k",
      AMC_KUBE_CONTEXT: "lab",
    });
  });

  it("names the cluster to use or keep", () => {
    expect(runEnvironment(command, { keep: true })).toEqual({ AMC_KEEP: "1" });
    expect(runEnvironment(command, { "cluster-name": "dev" })).toEqual({ AMC_CLUSTER_NAME: "dev" });
  });

  it.each([
    [
      { scenario: ["rwo-cross-node", "rwx-same-node"] },
      /^amc run: unknown scenario rwx-same-node; known scenarios: rwo-same-node, rwo-cross-node, .*rwo-node-out-of-service\nusage: amc run \[options\]\nrun 'amc help run' for more$/,
    ],
    [{ cluster: "eks" }, /^amc run: --cluster eks: expected one of local, kind, kubeconfig, in-cluster\n/],
    [
      { cluster: "local", kubeconfig: "/k" },
      /^amc run: --kubeconfig and --context are for --cluster kubeconfig, not local\n/,
    ],
    [
      { context: "lab", "cluster-name": "x" },
      /^amc run: --cluster-name is for clusters amc can start \(local, kind\); use --context\n/,
    ],
    [{ parallel: "0" }, /^amc run: --parallel 0: expected a whole number of at least 1\n/],
    [{ timeout: "30" }, /^amc run: --timeout 30: expected a factor such as 2x or 0.5x/],
    [{ timeout: "0x" }, /^amc run: --timeout 0x: expected a factor/],
  ])("refuses %j as a usage error", (values, message) => {
    expect(() => runEnvironment(command, values)).toThrow(message);
    expect(() => runEnvironment(command, values)).toThrow(expect.objectContaining({ name: "UsageError" }));
  });
});

describe("suitesFor", () => {
  it("runs only the suite files that hold a selected scenario", () => {
    expect(suitesFor([])).toEqual([
      "suites/rwo.e2e.test.ts",
      "suites/rwop.e2e.test.ts",
      "suites/rwx.e2e.test.ts",
      "suites/rox.e2e.test.ts",
      "suites/mixed-modes.e2e.test.ts",
      "suites/workloads.e2e.test.ts",
      "suites/zones.e2e.test.ts",
      "suites/zone-failover.disruptive.test.ts",
      "suites/node-failure.disruptive.test.ts",
    ]);
    // The zone failover takes a zone down: its own disruptive file, not the zones suite.
    expect(suitesFor(["rwo-zone-failover"])).toEqual(["suites/zone-failover.disruptive.test.ts"]);
    expect(suitesFor(["rwo-cross-zone"])).toEqual(["suites/zones.e2e.test.ts"]);
    expect(suitesFor(["rwo-handoff", "rwx-cross-node"])).toEqual([
      "suites/rwo.e2e.test.ts",
      "suites/rwx.e2e.test.ts",
    ]);
    // The node-failure scenarios are ReadWriteOnce, but only their own (disruptive) suite runs them.
    expect(suitesFor(["rwo-node-loss"])).toEqual(["suites/node-failure.disruptive.test.ts"]);
    // The workloads family has its own file, whatever the access mode of its scenarios.
    expect(suitesFor(["rwop-rollout"])).toEqual(["suites/workloads.e2e.test.ts"]);
  });
});
