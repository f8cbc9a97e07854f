import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ZONE_LABEL } from "../../lib/labels.ts";
import { parseDriverArgs } from "../csi-driver/config.ts";
import { csiProcesses } from "./csi-processes.ts";
import { createClusterArgs, deleteClusterArgs, kwokctlConfig, kwokctlConfigFingerprint } from "./kwokctl.ts";
import {
  ATTACH_DETACH_ANNOTATION,
  renderCSIDriver,
  renderCSINode,
  renderNode,
  renderStorageClass,
} from "./objects.ts";
import { checkClusterName } from "./provider.ts";
import { localStorageClassCopies, localStorageClasses, MAX_CLASS_COPIES } from "./storage.ts";
import { localNodes } from "./topology.ts";

const byName = (name: string) => {
  const found = localStorageClasses.find((c) => c.className === name);
  if (!found) throw new Error(`no class ${name}`);
  return found;
};
const node = { name: "amc-node-a1", zone: "amc-zone-a" };

describe("local cluster topology", () => {
  it("has four nodes, two in each of two zones", () => {
    expect(localNodes).toHaveLength(4);
    const zones = localNodes.map((n) => n.zone);
    expect(zones.filter((z) => z === zones[0])).toHaveLength(2);
    expect(new Set(zones).size).toBe(2);
  });
});

describe("Node objects", () => {
  const rendered = renderNode(node, localStorageClasses);

  it("carry the attach/detach annotation, without which no VolumeAttachment is made", () => {
    expect(rendered.metadata?.annotations?.[ATTACH_DETACH_ANNOTATION]).toBe("true");
  });

  it("carry hostname, zone, the node-local driver's topology label and the zonal driver's zone", () => {
    expect(rendered.metadata?.labels).toMatchObject({
      "kubernetes.io/hostname": "amc-node-a1",
      [ZONE_LABEL]: "amc-zone-a",
      "topology.amc-local.csi.test/node": "amc-node-a1",
      "topology.amc-zonal.csi.test/zone": "amc-zone-a",
      "app.kubernetes.io/managed-by": "access-mode-conformance",
    });
  });
});

describe("CSINode objects", () => {
  it("list every driver with the node's name as node ID, and topology keys only where the driver pins volumes", () => {
    expect(renderCSINode(node, localStorageClasses).spec.drivers).toEqual([
      { name: "amc-block.csi.test", nodeID: "amc-node-a1", topologyKeys: [] },
      {
        name: "amc-local.csi.test",
        nodeID: "amc-node-a1",
        topologyKeys: ["topology.amc-local.csi.test/node"],
      },
      { name: "amc-shared.csi.test", nodeID: "amc-node-a1", topologyKeys: [] },
      {
        name: "amc-zonal.csi.test",
        nodeID: "amc-node-a1",
        topologyKeys: ["topology.amc-zonal.csi.test/zone"],
      },
    ]);
  });
});

describe("CSIDriver objects", () => {
  it("require attach for block storage only", () => {
    expect(renderCSIDriver(byName("amc-block")).spec.attachRequired).toBe(true);
    expect(renderCSIDriver(byName("amc-zonal")).spec.attachRequired).toBe(true);
    expect(renderCSIDriver(byName("amc-local")).spec.attachRequired).toBe(false);
    expect(renderCSIDriver(byName("amc-shared")).spec.attachRequired).toBe(false);
  });
});

describe("StorageClass objects", () => {
  it("use each family's own driver and binding mode", () => {
    const summary = localStorageClasses
      .map(renderStorageClass)
      .map((sc) => [sc.metadata?.name, sc.provisioner, sc.volumeBindingMode]);
    expect(summary).toEqual([
      ["amc-block", "amc-block.csi.test", "Immediate"],
      ["amc-local", "amc-local.csi.test", "WaitForFirstConsumer"],
      ["amc-shared", "amc-shared.csi.test", "Immediate"],
      ["amc-zonal", "amc-zonal.csi.test", "WaitForFirstConsumer"],
    ]);
  });

  it("offer multi-node access modes on the NFS-like class only", () => {
    expect(byName("amc-shared").accessModes).toContain("MULTI_NODE_MULTI_WRITER");
    expect(byName("amc-block").accessModes).not.toContain("MULTI_NODE_MULTI_WRITER");
    expect(byName("amc-local").accessModes).not.toContain("MULTI_NODE_MULTI_WRITER");
  });
});

describe("kwokctl", () => {
  const binaries = {
    kwokctl: "/b/kwokctl",
    kwok: "/b/kwok",
    kubeApiserver: "/b/kube-apiserver",
    kubeControllerManager: "/b/kube-controller-manager",
    kubeScheduler: "/b/kube-scheduler",
    kubectl: "/b/kubectl",
    etcd: "/b/etcd",
  };

  it("is configured with the provisioned binaries, listening on loopback", () => {
    expect(parse(kwokctlConfig(binaries))).toEqual({
      apiVersion: "config.kwok.x-k8s.io/v1alpha1",
      kind: "KwokctlConfiguration",
      options: {
        runtime: "binary",
        bindAddress: "127.0.0.1",
        kubeApiserverBinary: "/b/kube-apiserver",
        kubeControllerManagerBinary: "/b/kube-controller-manager",
        kubeSchedulerBinary: "/b/kube-scheduler",
        kwokControllerBinary: "/b/kwok",
        kubectlBinary: "/b/kubectl",
        etcdBinary: "/b/etcd",
        heartbeatFactor: 1,
        nodeLeaseDurationSeconds: 40,
        kubeControllerManagerNodeMonitorPeriodMilliseconds: 5000,
        kubeControllerManagerNodeMonitorGracePeriodMilliseconds: 50000,
        disableQPSLimits: true,
      },
      componentsPatches: [
        {
          name: "kwok-controller",
          extraArgs: [
            { key: "manage-all-nodes", value: "false", override: true },
            { key: "manage-nodes-with-label-selector", value: "!access-mode-conformance/node-fault" },
          ],
        },
      ],
    });
  });

  it("fingerprints the configuration without the binaries' paths", () => {
    const fingerprint = kwokctlConfigFingerprint();
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(kwokctlConfigFingerprint()).toBe(fingerprint);
  });

  it("never writes to the user's kubeconfig", () => {
    expect(createClusterArgs("amc", "/c.yaml")).toContain("--kubeconfig=");
    expect(deleteClusterArgs("amc", "/c.yaml", "/w/clusters/amc/kubeconfig.yaml")).toContain(
      "--kubeconfig=/w/clusters/amc/kubeconfig.yaml",
    );
  });
});

/** Where the CSI host processes' files would be: what csiProcesses puts on their command lines. */
const processPaths = {
  csiDir: "/s/csi",
  kubeconfig: "/k.yaml",
  csiProto: "/p/csi.proto",
  csiProvisioner: "/b/csi-provisioner",
  csiAttacher: "/b/csi-attacher",
  node: "/usr/bin/node",
};

describe("CSI host processes", () => {
  const specs = csiProcesses(localStorageClasses, processPaths);

  it("run a driver and a provisioner per class, and an attacher for the class that attaches", () => {
    expect(specs.map((s) => s.name)).toEqual([
      "amc-block-driver",
      "amc-block-provisioner",
      "amc-block-attacher",
      "amc-local-driver",
      "amc-local-provisioner",
      "amc-shared-driver",
      "amc-shared-provisioner",
      "amc-zonal-driver",
      "amc-zonal-provisioner",
      "amc-zonal-attacher",
    ]);
  });

  it("start each driver with its family's flags", () => {
    const driverConfig = (name: string) => {
      const args = specs.find((s) => s.name === name)?.args ?? [];
      return parseDriverArgs(args.slice(args.findIndex((a) => a.endsWith("csi-driver/main.ts")) + 1));
    };
    expect(driverConfig("amc-block-driver")).toMatchObject({
      name: "amc-block.csi.test",
      attach: true,
      socket: "/s/csi/amc-block.sock",
    });
    expect(driverConfig("amc-block-driver").topologyKey).toBeUndefined();
    expect(driverConfig("amc-local-driver")).toMatchObject({
      attach: false,
      topologyKey: "topology.amc-local.csi.test/node",
    });
    expect(driverConfig("amc-shared-driver").accessModes).toContain("MULTI_NODE_MULTI_WRITER");
  });

  it("point the sidecars at the driver's socket, with strict topology for node-local storage", () => {
    const provisioner = (name: string) => specs.find((s) => s.name === name)?.args ?? [];
    expect(provisioner("amc-local-provisioner")).toContain("--strict-topology=true");
    expect(provisioner("amc-block-provisioner")).not.toContain("--strict-topology=true");
    expect(provisioner("amc-block-attacher")).toContain("--csi-address=/s/csi/amc-block.sock");
  });
});

describe("copies of the storage classes", () => {
  it("are the four classes alone for one copy", () => {
    expect(localStorageClassCopies(1)).toEqual(localStorageClasses);
  });

  it("add classes with drivers, sockets and topology keys of their own, family by family (not the zonal one)", () => {
    const classes = localStorageClassCopies(3);
    expect(classes.map((c) => c.className)).toEqual([
      "amc-block",
      "amc-local",
      "amc-shared",
      "amc-zonal",
      "amc-block-2",
      "amc-local-2",
      "amc-shared-2",
      "amc-block-3",
      "amc-local-3",
      "amc-shared-3",
    ]);
    expect(new Set(classes.map((c) => c.driverName)).size).toBe(10);
    expect(classes.find((c) => c.className === "amc-local-2")).toMatchObject({
      driverName: "amc-local-2.csi.test",
      topologyKey: "topology.amc-local-2.csi.test/node",
      volumeBindingMode: "WaitForFirstConsumer",
    });
    expect(classes.find((c) => c.className === "amc-block-3")).toMatchObject({
      attachRequired: true,
      accessModes: localStorageClasses[0]?.accessModes,
    });
    const specs = csiProcesses(classes, processPaths);
    expect(specs).toHaveLength(3 * 7 + 3);
    expect(new Set(specs.flatMap((s) => (s.serves ? [s.serves] : []))).size).toBe(10);
    expect(renderNode(node, classes).metadata?.labels?.["topology.amc-local-3.csi.test/node"]).toBe(
      "amc-node-a1",
    );
  });

  it("are bounded", () => {
    expect(localStorageClassCopies(MAX_CLASS_COPIES)).toHaveLength(3 * MAX_CLASS_COPIES + 1);
    expect(() => localStorageClassCopies(0)).toThrow(RangeError);
    expect(() => localStorageClassCopies(MAX_CLASS_COPIES + 1)).toThrow(RangeError);
  });
});

describe("cluster names", () => {
  it("accept short DNS-like names and refuse others with the rule", () => {
    expect(() => checkClusterName("amc-3f9a2c")).not.toThrow();
    expect(() => checkClusterName("Amc")).toThrow(/lowercase letters/);
    expect(() => checkClusterName("a".repeat(21))).toThrow(/1 to 20/);
  });
});
