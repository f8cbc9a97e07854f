import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { csiAccessModes, type DriverConfig, singleNodeModes } from "./config.ts";
import { CsiError } from "./csi-error.ts";
import { IdentityService } from "./identity-service.ts";
import type { LoopDevice, LoopDevices } from "./loop-devices.ts";
import type { MountEntry, Mounter } from "./mounts.ts";
import { type NodePublishVolumeRequest, NodeService } from "./node-service.ts";

const nodeConfig: DriverConfig = {
  name: "amc-local.csi.test",
  socket: "/csi/csi.sock",
  csiProto: "/csi.proto",
  mode: "node",
  attach: false,
  accessModes: singleNodeModes,
  nodeId: "amc-node-a1",
  dataDir: "/nonexistent/data",
};

/** Loop devices that must not be reached: argument checks come before any device. */
const noLoops: LoopDevices = {
  attach: () => Promise.reject(new Error("attach() called")),
  find: () => Promise.reject(new Error("find() called")),
  detach: () => Promise.reject(new Error("detach() called")),
};

/** A mounter that must not be reached: argument checks come before any mount. */
const unreachable: Mounter = {
  mounts: () => Promise.reject(new Error("mounts() called")),
  bind: () => Promise.reject(new Error("bind() called")),
  remountReadOnly: () => Promise.reject(new Error("remountReadOnly() called")),
  unmount: () => Promise.reject(new Error("unmount() called")),
};

async function csiError(call: () => Promise<unknown>): Promise<CsiError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof CsiError) return error;
  throw new Error(`expected a CsiError, got ${String(error)}`);
}

describe("NodeGetInfo", () => {
  it("reports the node ID, no volume limit and no topology when topology is off", () => {
    expect(new NodeService(nodeConfig, unreachable, noLoops).nodeGetInfo()).toEqual({
      node_id: "amc-node-a1",
      max_volumes_per_node: "0",
    });
  });

  it("reports the node ID under the topology key when topology is on", () => {
    const service = new NodeService(
      { ...nodeConfig, topologyKey: "topology.test/node" },
      unreachable,
      noLoops,
    );
    expect(service.nodeGetInfo().accessible_topology).toEqual({
      segments: { "topology.test/node": "amc-node-a1" },
    });
  });

  it("reports its zone under the topology key when it is zonal storage's node plugin", () => {
    const config = { ...nodeConfig, topologyKey: "topology.test/zone", topologyValue: "amc-zone-b" };
    expect(new NodeService(config, unreachable, noLoops).nodeGetInfo().accessible_topology).toEqual({
      segments: { "topology.test/zone": "amc-zone-b" },
    });
  });
});

describe("node capabilities", () => {
  it("advertise SINGLE_NODE_MULTI_WRITER only, so that ReadWriteOnce reaches the node as a mode a second pod may share", () => {
    expect(new NodeService(nodeConfig, unreachable, noLoops).nodeGetCapabilities()).toEqual({
      capabilities: [{ rpc: { type: "SINGLE_NODE_MULTI_WRITER" } }],
    });
  });
});

describe("plugin capabilities", () => {
  const services = (config: DriverConfig) =>
    new IdentityService(config).getPluginCapabilities().capabilities.map((c) => c.service.type);

  it("advertise the controller only where it is served, and topology wherever it is on", () => {
    expect(services(nodeConfig)).toEqual([]);
    expect(services({ ...nodeConfig, topologyKey: "k" })).toEqual(["VOLUME_ACCESSIBILITY_CONSTRAINTS"]);
    expect(services({ ...nodeConfig, mode: "all" })).toEqual(["CONTROLLER_SERVICE"]);
    const { mode: _, ...localClusterDriver } = nodeConfig; // no --mode: controller
    expect(services({ ...localClusterDriver, topologyKey: "k" })).toEqual([
      "CONTROLLER_SERVICE",
      "VOLUME_ACCESSIBILITY_CONSTRAINTS",
    ]);
  });
});

describe("NodePublishVolume arguments", () => {
  const service = new NodeService(nodeConfig, unreachable, noLoops);
  const publish = (overrides: Partial<NodePublishVolumeRequest>) =>
    service.nodePublishVolume({
      volume_id: "v1",
      target_path: "/var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/pv/mount",
      volume_capability: { access_type: "mount", access_mode: { mode: "SINGLE_NODE_MULTI_WRITER" } },
      readonly: false,
      ...overrides,
    });

  it("refuses a missing or path-like volume ID and a missing or relative target path (INVALID_ARGUMENT)", async () => {
    for (const overrides of [
      { volume_id: "" },
      { volume_id: "../etc" },
      { volume_id: "a/b" },
      { target_path: "" },
      { target_path: "relative/mount" },
      { volume_capability: null },
      { volume_capability: { access_type: "mount" } },
      { volume_capability: { access_mode: { mode: "SINGLE_NODE_MULTI_WRITER" } } },
    ]) {
      expect((await csiError(() => publish(overrides))).code, JSON.stringify(overrides)).toBe(
        "INVALID_ARGUMENT",
      );
    }
  });

  it("refuses a mode it does not offer (FAILED_PRECONDITION), on a filesystem or a raw block volume", async () => {
    const block = await csiError(() =>
      publish({
        volume_capability: { access_type: "block", access_mode: { mode: "MULTI_NODE_MULTI_WRITER" } },
      }),
    );
    expect(block.code).toBe("FAILED_PRECONDITION");
    const rwx = await csiError(() =>
      publish({
        volume_capability: { access_type: "mount", access_mode: { mode: "MULTI_NODE_MULTI_WRITER" } },
      }),
    );
    expect(rwx.code).toBe("FAILED_PRECONDITION");
    expect(rwx.message).toContain(
      "does not support access mode MULTI_NODE_MULTI_WRITER (Kubernetes ReadWriteMany)",
    );
  });

  it("accepts every mode the driver offers past the argument checks", async () => {
    const all = new NodeService({ ...nodeConfig, accessModes: csiAccessModes }, unreachable, noLoops);
    for (const mode of csiAccessModes) {
      const outcome = await all
        .nodePublishVolume({
          volume_id: "v1",
          target_path: "/t",
          volume_capability: { access_type: "mount", access_mode: { mode } },
        })
        .catch((error: Error) => error);
      // It got as far as the data dir, which does not exist here.
      expect(outcome).not.toBeInstanceOf(CsiError);
    }
  });
});

describe("NodeUnpublishVolume arguments", () => {
  it("refuses a missing volume ID or target path (INVALID_ARGUMENT)", async () => {
    const service = new NodeService(nodeConfig, unreachable, noLoops);
    expect((await csiError(() => service.nodeUnpublishVolume({ target_path: "/t" }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect((await csiError(() => service.nodeUnpublishVolume({ volume_id: "v1" }))).code).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

describe("raw block volumes on a node that shares its kernel with others (kind)", () => {
  /** This node's mount table, and the kernel's loop devices of every node, as fakes that record what was done. */
  function node() {
    const mounts: MountEntry[] = [];
    const detached: string[] = [];
    // Another node's device over the same shared backing file: never this node's to use or detach.
    const devices: LoopDevice[] = [{ name: "/dev/loop3", readOnly: false }];
    const mounter: Mounter = {
      mounts: async () => [...mounts],
      bind: async (source, target) => {
        mounts.push({ mountPoint: target, root: `/${basename(source)}`, device: "0:5", readOnly: false });
      },
      remountReadOnly: () => Promise.reject(new Error("remountReadOnly() called")),
      unmount: async (target) => {
        mounts.splice(
          mounts.findLastIndex((m) => m.mountPoint === target),
          1,
        );
      },
    };
    const loops: LoopDevices = {
      find: async () => [...devices],
      attach: async (_file, readOnly) => {
        const name = `/dev/loop${9 + devices.length}`;
        devices.push({ name, readOnly });
        return name;
      },
      detach: async (name) => {
        detached.push(name);
        devices.splice(
          devices.findIndex((d) => d.name === name),
          1,
        );
      },
    };
    return { mounts, detached, mounter, loops };
  }

  it("attaches a loop device of its own, shares it between its pods, and detaches only it, with its last target", async () => {
    const dir = await mkdtemp(join(tmpdir(), "amc-block-"));
    try {
      const { mounts, detached, mounter, loops } = node();
      const service = new NodeService({ ...nodeConfig, dataDir: join(dir, "data") }, mounter, loops);
      const target = (pod: string) => join(dir, "volumeDevices", "publish", "pv", pod);
      const publish = (pod: string) =>
        service.nodePublishVolume({
          volume_id: "v1",
          target_path: target(pod),
          volume_capability: { access_type: "block", access_mode: { mode: "SINGLE_NODE_MULTI_WRITER" } },
          readonly: false,
        });
      await publish("a");
      await publish("b");
      expect(mounts.map((m) => [m.mountPoint, m.root])).toEqual([
        [target("a"), "/loop10"],
        [target("b"), "/loop10"],
      ]);
      await service.nodeUnpublishVolume({ volume_id: "v1", target_path: target("a") });
      expect(detached).toEqual([]);
      await service.nodeUnpublishVolume({ volume_id: "v1", target_path: target("b") });
      expect(detached).toEqual(["/dev/loop10"]);
      expect(mounts).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
