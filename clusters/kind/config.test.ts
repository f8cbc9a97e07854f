import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { localStorageClasses, zonalStorageClass } from "../local/storage.ts";
import {
  KIND_WORKER_ZONES,
  kindArgs,
  nodeIndexOf,
  podRoutes,
  renderBridgeCni,
  renderKindConfig,
} from "./config.ts";
import { dataDir, renderCsiObjects, sharedDataMount } from "./csi-install.ts";
import {
  buildContainerName,
  contentKey,
  interruptedBuildContainers,
  kubeadmImageNames,
  localTag,
  staticImageDockerfile,
} from "./images/image-set.ts";

describe("kind cluster config", () => {
  const base = { sharedDataHostDir: "/cache/kind-clusters/c1/shared-volumes", sharedDataMount };

  it("has one control plane and three workers, two in one zone and one in another, each mounting the shared data directory", () => {
    const config = parse(renderKindConfig(base));
    expect(config.kind).toBe("Cluster");
    expect(config.nodes.map((n: { role: string }) => n.role)).toEqual([
      "control-plane",
      "worker",
      "worker",
      "worker",
      "worker",
    ]);
    const zones = config.nodes.map(
      (n: { labels: Record<string, string> }) => n.labels["topology.kubernetes.io/zone"],
    );
    expect(zones).toEqual(["amc-zone-a", "amc-zone-a", "amc-zone-a", "amc-zone-b", "amc-zone-b"]);
    expect(KIND_WORKER_ZONES).toHaveLength(4);
    for (const node of config.nodes) {
      expect(node.extraMounts).toEqual([
        { hostPath: base.sharedDataHostDir, containerPath: sharedDataMount },
      ]);
    }
    expect(config.networking).toBeUndefined();
    expect(config.kubeadmConfigPatches.map((p: string) => parse(p))).toEqual([
      { kind: "KubeletConfiguration", failCgroupV1: false, nodeStatusUpdateFrequency: "1s", maxPods: 250 },
    ]);
  });

  it("gives the air-gapped image a bridge CNI per node, no CoreDNS and the locally built etcd", () => {
    const cniConfigs = ["/c/cni-0.conflist", "/c/cni-1.conflist", "/c/cni-2.conflist", "/c/cni-3.conflist"];
    const config = parse(renderKindConfig({ ...base, airGapped: { cniConfigs } }));
    expect(config.networking).toEqual({ disableDefaultCNI: true });
    config.nodes.forEach(
      (node: { extraMounts: { hostPath: string; containerPath: string }[] }, i: number) => {
        expect(node.extraMounts[1]).toEqual({
          hostPath: cniConfigs[i],
          containerPath: "/etc/cni/net.d/10-amc-bridge.conflist",
          readOnly: true,
        });
      },
    );
    const patches = config.kubeadmConfigPatches.map((p: string) => parse(p));
    expect(patches).toContainEqual({
      kind: "ClusterConfiguration",
      etcd: { local: { imageTag: "3.6.16-0" } },
    });
    expect(patches).toContainEqual({ kind: "InitConfiguration", skipPhases: ["preflight", "addon/coredns"] });
  });

  it("gives every node its own pod subnet", () => {
    const subnets = [0, 1, 2].map((i) => JSON.parse(renderBridgeCni(i)).plugins[0].ipam.ranges[0][0].subnet);
    expect(new Set(subnets).size).toBe(3);
    expect(JSON.parse(renderBridgeCni(0)).plugins[0]).toMatchObject({ type: "bridge", ipMasq: true });
  });

  it("routes every node to the others' pod subnets, by their node containers' names", () => {
    const containers = [
      "amc-ic-control-plane",
      "amc-ic-worker",
      "amc-ic-worker2",
      "amc-ic-worker3",
      "other-worker",
    ];
    expect(containers.map((c) => nodeIndexOf("amc-ic", c))).toEqual([0, 1, 2, 3, undefined]);
    const nodes = [0, 1, 2].map((index) => ({
      container: `n${index}`,
      index,
      address: `172.18.0.${index + 2}`,
    }));
    const routes = podRoutes(nodes);
    expect(routes.get("n1")).toEqual([
      ["ip", "route", "replace", "10.244.200.0/24", "via", "172.18.0.2"],
      ["ip", "route", "replace", "10.244.202.0/24", "via", "172.18.0.4"],
    ]);
    // Each subnet is the one the node's own CNI config hands out.
    expect(routes.get("n0")?.map((r) => r[3])).toEqual(
      [1, 2].map((i) => JSON.parse(renderBridgeCni(i)).plugins[0].ipam.ranges[0][0].subnet),
    );
  });
});

describe("kind CLI arguments", () => {
  it("writes the kubeconfig to the cluster's own file, never the user's", () => {
    expect(kindArgs.create("amc-1", "img:1", "/c/kind.yaml", "/c/kubeconfig")).toEqual([
      "create",
      "cluster",
      "--name=amc-1",
      "--image=img:1",
      "--config=/c/kind.yaml",
      "--kubeconfig=/c/kubeconfig",
    ]);
    expect(kindArgs.delete("amc-1", "/c/kubeconfig")).toEqual([
      "delete",
      "cluster",
      "--name=amc-1",
      "--kubeconfig=/c/kubeconfig",
    ]);
    expect(kindArgs.load("amc-1", ["a:1", "b:2"])).toEqual([
      "load",
      "docker-image",
      "--name=amc-1",
      "a:1",
      "b:2",
    ]);
  });
});

describe("kind image settings", () => {
  it("tags local images by content, and names the control-plane images as kubeadm expects", () => {
    expect(contentKey({ a: "1", b: "2" })).toBe(contentKey({ b: "2", a: "1" }));
    expect(contentKey({ a: "1" })).not.toBe(contentKey({ a: "2" }));
    expect(localTag("etcd", "v3.6.16", "abc")).toBe("amc.local/etcd:v3.6.16-abc");
    expect(kubeadmImageNames("v1.36.3", "3.6.16-0", ["3.10"])).toEqual({
      kube: [
        "registry.k8s.io/kube-apiserver:v1.36.3",
        "registry.k8s.io/kube-controller-manager:v1.36.3",
        "registry.k8s.io/kube-scheduler:v1.36.3",
        "registry.k8s.io/kube-proxy:v1.36.3",
      ],
      etcd: ["registry.k8s.io/etcd:3.6.16-0"],
      pause: ["registry.k8s.io/pause:3.10"],
    });
    expect(staticImageDockerfile(["/pause"], "65535:65535")).toContain('ENTRYPOINT ["/pause"]');
  });
});

describe("what an image build removes", () => {
  // `docker ps --all --filter label=io.amc.built-by=... --format '{{.ID}}\t{{.Names}}\t{{.Label "io.x-k8s.kind.cluster"}}'`
  // while a kind cluster made from the suite's node image runs and an interrupted build left two containers.
  const ps = [
    "3f1c2b7a9e01\tamc-0979f6-worker2\tamc-0979f6",
    "8d02aa41c3f5\tamc-0979f6-worker\tamc-0979f6",
    "c41e0b9d7a22\tamc-0979f6-control-plane\tamc-0979f6",
    "0aa93e5b61d4\tamc-image-build-5c1d9e0f\t",
    "9b7c4f2e8a10\tamc-kind-build-77aa01bc\t",
    "5e6f7a8b9c0d\tsomeones-container\t",
  ].join("\n");

  it("removes only build containers, never a kind node (which carries the build's label from its image)", () => {
    expect(interruptedBuildContainers(ps)).toEqual(["0aa93e5b61d4", "9b7c4f2e8a10"]);
    expect(interruptedBuildContainers("")).toEqual([]);
  });

  it("names every build container so that it is found again", () => {
    expect(interruptedBuildContainers(`1\t${buildContainerName()}\t`)).toEqual(["1"]);
  });
});

describe("the suite's CSI drivers on kind", () => {
  const images = { csiDriver: "d:1", csiProvisioner: "p:1", csiAttacher: "a:1" };

  it("runs an attacher only for classes with attach, and node plugins that register with the kubelet", async () => {
    const objects = await renderCsiObjects(localStorageClasses, images);
    const byName = new Map(objects.map((o) => [`${o.kind}/${o.metadata?.name}`, o]));
    const containers = (name: string) =>
      // biome-ignore lint/suspicious/noExplicitAny: a rendered manifest, checked field by field
      (byName.get(name) as any).spec.template.spec.containers.map((c: { name: string }) => c.name);
    expect(containers("Deployment/amc-block-controller")).toEqual([
      "driver",
      "csi-provisioner",
      "csi-attacher",
    ]);
    expect(containers("Deployment/amc-shared-controller")).toEqual(["driver", "csi-provisioner"]);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const node = byName.get("DaemonSet/amc-local-node") as any;
    const args: string[] = node.spec.template.spec.containers[0].args;
    expect(args).toContain("--mode=node");
    expect(args).toContain("--registration-dir=/var/lib/kubelet/plugins_registry");
    expect(args).toContain("--topology-key=topology.amc-local.csi.test/node");
    expect(args).not.toContain("--attach");
    expect(byName.get("CSIDriver/amc-block.csi.test")).toMatchObject({ spec: { attachRequired: true } });
    expect(byName.get("StorageClass/amc-local")).toMatchObject({ volumeBindingMode: "WaitForFirstConsumer" });
  });

  it("runs the zonal class's node plugin once per zone, each reporting its zone", async () => {
    const objects = await renderCsiObjects(localStorageClasses, images);
    const zonal = objects.filter(
      (o) => o.kind === "DaemonSet" && o.metadata?.name?.startsWith("amc-zonal"),
      // biome-ignore lint/suspicious/noExplicitAny: rendered manifests, checked field by field
    ) as any[];
    expect(zonal.map((d) => d.metadata.name)).toEqual([
      "amc-zonal-node-amc-zone-a",
      "amc-zonal-node-amc-zone-b",
    ]);
    for (const [i, zone] of ["amc-zone-a", "amc-zone-b"].entries()) {
      const spec = zonal[i].spec;
      expect(spec.template.spec.nodeSelector).toEqual({ "topology.kubernetes.io/zone": zone });
      expect(spec.selector.matchLabels).toEqual(spec.template.metadata.labels);
      expect(spec.template.spec.containers[0].args).toContain(`--topology-value=${zone}`);
    }
    expect(objects.some((o) => o.metadata?.name === "amc-zonal-node")).toBe(false);
  });

  it("keeps node-local data on the node and network-like data in the directory all nodes share", () => {
    const [block, local] = localStorageClasses;
    expect(dataDir(block as (typeof localStorageClasses)[number])).toBe(`${sharedDataMount}/amc-block`);
    expect(dataDir(local as (typeof localStorageClasses)[number])).toBe("/var/lib/amc-csi/local/amc-local");
    expect(dataDir(zonalStorageClass)).toBe(`${sharedDataMount}/amc-zonal`);
  });
});
