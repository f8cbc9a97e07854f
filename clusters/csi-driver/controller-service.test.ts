import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { csiAccessModes, type DriverConfig, singleNodeModes } from "./config.ts";
import { ControllerService } from "./controller-service.ts";
import { CsiError } from "./csi-error.ts";
import { VolumeStore } from "./volumes.ts";

/** A temporary directory, removed when the test that made it ends. */
async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function driver(overrides: Partial<DriverConfig> = {}) {
  const stateDir = await scratchDir("amc-csi-");
  const config: DriverConfig = {
    name: "amc-block.csi.test",
    socket: join(stateDir, "csi.sock"),
    stateDir,
    csiProto: "/csi.proto",
    attach: true,
    accessModes: singleNodeModes,
    ...overrides,
  };
  return { service: new ControllerService(config, new VolumeStore(stateDir)), stateDir };
}

const capability = (mode: string) => ({ mount: {}, access_type: "mount", access_mode: { mode } });
const request = (mode: string, extra: object = {}) => ({
  name: "pvc-1",
  capacity_range: { required_bytes: "1073741824" },
  volume_capabilities: [capability(mode)],
  ...extra,
});

function csiError(call: () => unknown): CsiError {
  try {
    call();
  } catch (error) {
    if (error instanceof CsiError) return error;
    throw error;
  }
  throw new Error("expected a CsiError");
}

describe("controller capabilities", () => {
  it("advertise attach only when the driver attaches", async () => {
    const block = (await driver()).service;
    const local = (await driver({ attach: false, topologyKey: "topology.test/node" })).service;
    const rpcs = (s: ControllerService) => s.controllerGetCapabilities().capabilities.map((c) => c.rpc.type);
    expect(rpcs(block)).toContain("PUBLISH_UNPUBLISH_VOLUME");
    expect(rpcs(local)).not.toContain("PUBLISH_UNPUBLISH_VOLUME");
    // Makes Kubernetes send ReadWriteOncePod as SINGLE_NODE_SINGLE_WRITER.
    expect(rpcs(block)).toContain("SINGLE_NODE_MULTI_WRITER");
  });
});

describe("CreateVolume", () => {
  it("refuses an access mode the driver does not offer, naming it in Kubernetes terms", async () => {
    const { service } = await driver();
    const error = csiError(() => service.createVolume(request("MULTI_NODE_MULTI_WRITER")));
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain(
      "does not support access mode MULTI_NODE_MULTI_WRITER (Kubernetes ReadWriteMany)",
    );
  });

  it("creates a volume in a mode it offers, once per name", async () => {
    const { service } = await driver({ accessModes: csiAccessModes });
    const first = service.createVolume(request("MULTI_NODE_MULTI_WRITER"));
    const again = service.createVolume(request("MULTI_NODE_MULTI_WRITER"));
    expect(first.volume.capacity_bytes).toBe("1073741824");
    expect(again.volume.volume_id).toBe(first.volume.volume_id);
  });

  it("pins a volume to the preferred topology (the node chosen for the first consumer)", async () => {
    const { service } = await driver({ attach: false, topologyKey: "topology.test/node" });
    const segments = (node: string) => ({ segments: { "topology.test/node": node } });
    const created = service.createVolume(
      request("SINGLE_NODE_MULTI_WRITER", {
        accessibility_requirements: {
          requisite: [segments("n2"), segments("n1")],
          preferred: [segments("n1")],
        },
      }),
    );
    expect(created.volume.accessible_topology).toEqual([segments("n1")]);
  });

  it("refuses to pin a volume when the request names no node", async () => {
    const { service } = await driver({ attach: false, topologyKey: "topology.test/node" });
    expect(csiError(() => service.createVolume(request("SINGLE_NODE_WRITER"))).code).toBe("INVALID_ARGUMENT");
  });

  it("keeps volumes across a restart of the driver", async () => {
    const { service, stateDir } = await driver();
    const created = service.createVolume(request("SINGLE_NODE_WRITER"));
    const restarted = new VolumeStore(stateDir);
    expect(restarted.get(created.volume.volume_id)?.name).toBe("pvc-1");
  });
});

describe("ControllerPublishVolume", () => {
  it("refuses to publish a single-node volume to a second node (CSI: FAILED_PRECONDITION)", async () => {
    const { service } = await driver();
    const id = service.createVolume(request("SINGLE_NODE_MULTI_WRITER")).volume.volume_id;
    const publish = (node: string) =>
      service.controllerPublishVolume({
        volume_id: id,
        node_id: node,
        volume_capability: capability("SINGLE_NODE_MULTI_WRITER"),
      });
    publish("n1");
    publish("n1"); // idempotent on the same node
    const error = csiError(() => publish("n2"));
    expect(error.code).toBe("FAILED_PRECONDITION");
    expect(error.message).toContain("already published to node n1");
    service.controllerUnpublishVolume({ volume_id: id, node_id: "n1" });
    expect(publish("n2")).toEqual({ publish_context: {} });
  });

  it("publishes a multi-node volume to several nodes", async () => {
    const { service } = await driver({ accessModes: csiAccessModes });
    const id = service.createVolume(request("MULTI_NODE_MULTI_WRITER")).volume.volume_id;
    for (const node of ["n1", "n2"]) {
      service.controllerPublishVolume({
        volume_id: id,
        node_id: node,
        volume_capability: capability("MULTI_NODE_MULTI_WRITER"),
      });
    }
  });

  it("answers NOT_FOUND for a volume it does not have", async () => {
    const { service } = await driver();
    const error = csiError(() =>
      service.controllerPublishVolume({
        volume_id: "nope",
        node_id: "n1",
        volume_capability: capability("SINGLE_NODE_WRITER"),
      }),
    );
    expect(error.code).toBe("NOT_FOUND");
  });
});
