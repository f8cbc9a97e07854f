import { describe, expect, it } from "vitest";
import { readSettings } from "./settings.ts";

describe("readSettings", () => {
  it("gives the defaults for an empty environment", () => {
    expect(readSettings({})).toEqual({
      cluster: { provider: "local", keep: false },
      storageClasses: [],
      scenarios: [],
      nodes: [],
      timeoutScale: 1,
      reportDir: "reports",
      knownDeviations: false,
      kindImages: {},
      failover: { budgetMs: 120_000, writerTolerationSeconds: 10, modes: [], allowNodeFaults: false },
    });
  });

  it("reads every variable once, typed", () => {
    expect(
      readSettings({
        AMC_CLUSTER: "kind",
        AMC_KIND_CLUSTER: "ci",
        AMC_KEEP: "true",
        AMC_STORAGE_CLASSES: "standard, amc-block,,",
        AMC_SCENARIOS: "rwo-handoff,rwo-cross-node,rwo-handoff",
        AMC_NODES: "w1,w2",
        AMC_PARALLEL: "4",
        AMC_TIMEOUT_SCALE: "2.5",
        AMC_REPORT_DIR: "out",
        AMC_IMAGE: "busybox",
        AMC_PROFILE: "vendor.yaml",
        AMC_KIND_NODE_IMAGE: "mirror/kindest/node:v1.36.3",
        AMC_KIND_CSI_ATTACHER_IMAGE: "",
        AMC_FAILOVER_BUDGET: "240",
        AMC_WRITER_TOLERATION: "default",
        AMC_FAULT_MODES: "powered-off",
        AMC_FAULT_NODE: "w2",
        AMC_ALLOW_NODE_FAULTS: "1",
        AMC_NODE_FAIL_COMMAND: "gcloud compute instances stop {node}",
        AMC_NODE_RESTORE_COMMAND: "gcloud compute instances start {node}",
        AMC_NODE_FAULT_MODE: "powered-off",
        AMC_KNOWN_DEVIATIONS: "1",
        AMC_UPSTREAM_SRC: "/srv/upstream-src",
        AMC_KIND_HOSTPATH_IMAGE: "registry.k8s.io/sig-storage/hostpathplugin:v1.18.0",
      }),
    ).toEqual({
      cluster: { provider: "kind", name: "ci", keep: true },
      storageClasses: ["standard", "amc-block"],
      scenarios: ["rwo-handoff", "rwo-cross-node"],
      nodes: ["w1", "w2"],
      parallel: 4,
      timeoutScale: 2.5,
      reportDir: "out",
      image: "busybox",
      profile: "vendor.yaml",
      knownDeviations: true,
      upstreamSrc: "/srv/upstream-src",
      kindImages: {
        node: "mirror/kindest/node:v1.36.3",
        hostpath: "registry.k8s.io/sig-storage/hostpathplugin:v1.18.0",
      },
      failover: {
        budgetMs: 240_000,
        writerTolerationSeconds: "default",
        modes: ["powered-off"],
        node: "w2",
        allowNodeFaults: true,
        failCommand: "gcloud compute instances stop {node}",
        restoreCommand: "gcloud compute instances start {node}",
        commandMode: "powered-off",
      },
    });
  });

  it("refuses a bad failover setting, naming it", () => {
    expect(() => readSettings({ AMC_FAILOVER_BUDGET: "3m" })).toThrow(
      /^AMC_FAILOVER_BUDGET=3m: expected whole seconds$/,
    );
    expect(() => readSettings({ AMC_WRITER_TOLERATION: "-1" })).toThrow(
      /AMC_WRITER_TOLERATION=-1: expected whole seconds or default/,
    );
    expect(() => readSettings({ AMC_FAULT_MODES: "unplugged" })).toThrow(
      /unknown fault mode; known: kubelet-stopped, powered-off/,
    );
    expect(() => readSettings({ AMC_NODE_FAULT_MODE: "paused" })).toThrow(/AMC_NODE_FAULT_MODE=paused/);
  });

  it("takes AMC_CLUSTER_NAME over the provider's own variable, and only the provider's own", () => {
    expect(readSettings({ AMC_CLUSTER_NAME: "a", AMC_LOCAL_CLUSTER: "b" }).cluster.name).toBe("a");
    expect(readSettings({ AMC_LOCAL_CLUSTER: "b" }).cluster.name).toBe("b");
    expect(readSettings({ AMC_CLUSTER: "kind", AMC_LOCAL_CLUSTER: "b" }).cluster.name).toBeUndefined();
  });

  it("reads how many copies of its storage classes a local cluster carries", () => {
    expect(readSettings({ AMC_LOCAL_CLASS_COPIES: "10" }).cluster.localClassCopies).toBe(10);
    expect(readSettings({ AMC_LOCAL_CLASS_COPIES: "" }).cluster).not.toHaveProperty("localClassCopies");
  });

  it.each([
    [
      { AMC_SCENARIOS: "rwo-same-node,rwx-same-node" },
      /^AMC_SCENARIOS: unknown scenario rwx-same-node; known/,
    ],
    [{ AMC_PARALLEL: "0" }, /^AMC_PARALLEL=0: expected a whole number of at least 1$/],
    [{ AMC_LOCAL_CLASS_COPIES: "3x" }, /^AMC_LOCAL_CLASS_COPIES=3x: expected a whole number of at least 1$/],
    [{ AMC_TIMEOUT_SCALE: "-1" }, /^AMC_TIMEOUT_SCALE=-1: expected a factor/],
    [{ AMC_KEEP: "yes" }, /^AMC_KEEP=yes: expected 1 or true/],
  ])("refuses %j as a usage error naming the variable", (env, message) => {
    expect(() => readSettings(env)).toThrow(message);
    expect(() => readSettings(env)).toThrow(expect.objectContaining({ code: "AMC_USAGE" }));
  });

  it("names the flag a value came from", () => {
    expect(() => readSettings({ AMC_PARALLEL: "x" }, { AMC_PARALLEL: "--parallel" })).toThrow(
      /^--parallel x: expected a whole number/,
    );
    expect(() => readSettings({ AMC_SCENARIOS: "rwx-x" }, { AMC_SCENARIOS: "--scenario" })).toThrow(
      /^unknown scenario rwx-x; known scenarios: /,
    );
  });
});
