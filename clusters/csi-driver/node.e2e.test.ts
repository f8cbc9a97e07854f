import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { components } from "../binaries/components.ts";
import { resolveComponent } from "../binaries/resolve.ts";
import { hostLoopDevices } from "./loop-devices.ts";
import { parseMountInfo } from "./mounts.ts";
import { registrationSocketPath } from "./registration.ts";
import { loadProtoPackage } from "./rpc.ts";

/**
 * The driver as the node plugin a real kubelet talks to: the real process on
 * a unix socket, real bind mounts (so root), a gRPC client built from the same
 * protos, and the registration socket the kubelet's plugin watcher would find.
 * Whatever happens, afterAll unmounts everything under the test's directory.
 */

const notRoot = process.getuid?.() === 0 ? undefined : "real bind mounts need root";
const driverMain = fileURLToPath(new URL("./main.ts", import.meta.url));
const driverName = "amc-e2e.csi.test";
const topologyKey = "topology.amc-e2e.csi.test/node";
const run = promisify(execFile);

interface DriverProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Starts main.ts and resolves once it logs `ready` (its last start-up line); rejects with its output if it exits first. */
function startDriver(args: readonly string[], ready: RegExp): Promise<DriverProcess> {
  const child = spawn(process.execPath, [driverMain, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`driver not ready in 30 s:\n${output.join("")}`)),
      30_000,
    );
    const collect = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (ready.test(output.join(""))) {
        clearTimeout(timer);
        resolve({ child, output, exited });
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`driver exited with ${code} before it was ready:\n${output.join("")}`));
    });
  });
}

// biome-ignore lint/suspicious/noExplicitAny: clients come from the .proto at run time
type Client = any;

function call<T = Record<string, unknown>>(client: Client, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

async function grpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: grpc.ServiceError) => e,
  );
  if (!error) throw new Error("expected the call to fail");
  return error;
}

async function mountPointsUnder(dir: string): Promise<string[]> {
  const mounts = parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"));
  return mounts.map((m) => m.mountPoint).filter((path) => path.startsWith(`${dir}/`));
}

const capability = (mode: string) => ({ mount: { fs_type: "", mount_flags: [] }, access_mode: { mode } });

describe("the CSI driver as a node plugin", () => {
  let dir: string;
  let dataDir: string;
  let registrationDir: string;
  let socket: string;
  let csiProto: string;
  let registrationProto: string;
  let driver: DriverProcess | undefined;
  const others: DriverProcess[] = [];
  let node: Client;
  let identity: Client;
  let registration: Client;
  const target = (pod: string) => join(dir, "pods", pod, "volumes", "kubernetes.io~csi", "pv", "mount");

  beforeAll(async () => {
    if (notRoot) return;
    // The protos as the cluster gets them: from the cache, or the Go module proxy.
    const spec = await resolveComponent(components["csi-spec"]);
    const kubelet = await resolveComponent(components["kubelet-plugin-registration"]);
    csiProto = join(spec.dir, "csi.proto");
    registrationProto = join(kubelet.dir, "pluginregistration.proto");
    dir = await mkdtemp(join(tmpdir(), "amc-csi-node-"));
    dataDir = join(dir, "data");
    registrationDir = join(dir, "plugins_registry");
    socket = join(dir, "plugins", driverName, "csi.sock");
    driver = await startDriver(
      [
        `--name=${driverName}`,
        `--socket=${socket}`,
        `--csi-proto=${csiProto}`,
        "--mode=node",
        "--node-id=e2e-node",
        `--data-dir=${dataDir}`,
        `--topology-key=${topologyKey}`,
        `--registration-dir=${registrationDir}`,
        `--registration-proto=${registrationProto}`,
      ],
      /registering with the kubelet through/,
    );
    const csi = loadProtoPackage(csiProto).csi.v1;
    const credentials = grpc.credentials.createInsecure();
    node = new csi.Node(`unix://${socket}`, credentials);
    identity = new csi.Identity(`unix://${socket}`, credentials);
    const api = loadProtoPackage(registrationProto).pluginregistration;
    registration = new api.Registration(
      `unix://${registrationSocketPath(registrationDir, driverName)}`,
      credentials,
    );
  });

  beforeEach((ctx) => {
    if (notRoot) ctx.skip(notRoot);
  });

  afterAll(async () => {
    if (notRoot) return;
    for (const client of [node, identity, registration]) client?.close();
    for (const started of [driver, ...others]) {
      if (started && started.child.exitCode === null) started.child.kill("SIGKILL");
    }
    if (!dir) return;
    // Deepest first; a lazy unmount if a plain one is refused, so a failed test never leaves mounts behind.
    const left = (await mountPointsUnder(dir)).sort((a, b) => b.length - a.length);
    for (const path of left) {
      await run("/bin/umount", [path]).catch(() => run("/bin/umount", ["-l", path]));
    }
    const still = await mountPointsUnder(dir);
    if (still.length > 0) throw new Error(`left mounted (not removing ${dir}): ${still.join(", ")}`);
    // Loop devices of raw block volumes a failed test left attached.
    for (const device of await hostLoopDevices.find(join(dataDir, "vol-3.img")).catch(() => [])) {
      await hostLoopDevices.detach(device.name);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("tells the kubelet's plugin watcher what it is and where its CSI socket is", async () => {
    expect(await call(registration, "GetInfo", {})).toEqual({
      type: "CSIPlugin",
      name: driverName,
      endpoint: `/var/lib/kubelet/plugins/${driverName}/csi.sock`,
      supported_versions: ["1.0.0"],
    });
  });

  it("answers NodeGetInfo with its node and topology, and serves no controller", async () => {
    expect(await call(node, "NodeGetInfo", {})).toMatchObject({
      node_id: "e2e-node",
      max_volumes_per_node: "0",
      accessible_topology: { segments: { [topologyKey]: "e2e-node" } },
    });
    const capabilities = await call<{ capabilities: { rpc: { type: string } }[] }>(
      node,
      "NodeGetCapabilities",
      {},
    );
    expect(capabilities.capabilities.map((c) => c.rpc.type)).toEqual(["SINGLE_NODE_MULTI_WRITER"]);
    const plugin = await call<{ capabilities: { service: { type: string } }[] }>(
      identity,
      "GetPluginCapabilities",
      {},
    );
    expect(plugin.capabilities.map((c) => c.service.type)).toEqual(["VOLUME_ACCESSIBILITY_CONSTRAINTS"]);
  });

  it("publishes a volume by bind mount: what a pod writes lands in the volume's data dir", async () => {
    await mkdir(join(target("a"), ".."), { recursive: true }); // the kubelet makes the parent, the driver the target
    const publish = {
      volume_id: "vol-1",
      target_path: target("a"),
      volume_capability: capability("SINGLE_NODE_MULTI_WRITER"),
    };
    await call(node, "NodePublishVolume", { ...publish, readonly: false });
    expect(await mountPointsUnder(dir)).toEqual([target("a")]);
    await writeFile(join(target("a"), "hello"), "from pod a");
    expect(await readFile(join(dataDir, "vol-1", "hello"), "utf8")).toBe("from pod a");
    // Again with the same arguments: nothing to do. Read-only at the same target: incompatible.
    await call(node, "NodePublishVolume", { ...publish, readonly: false });
    expect(await mountPointsUnder(dir)).toEqual([target("a")]);
    const readOnly = await grpcError(call(node, "NodePublishVolume", { ...publish, readonly: true }));
    expect(readOnly.code).toBe(grpc.status.ALREADY_EXISTS);
  });

  it("shares a ReadWriteOnce (SINGLE_NODE_MULTI_WRITER) volume with a second pod on the node", async () => {
    await mkdir(join(target("b"), ".."), { recursive: true });
    await call(node, "NodePublishVolume", {
      volume_id: "vol-1",
      target_path: target("b"),
      volume_capability: capability("SINGLE_NODE_MULTI_WRITER"),
      readonly: false,
    });
    expect(await readFile(join(target("b"), "hello"), "utf8")).toBe("from pod a");
    await writeFile(join(target("b"), "reply"), "from pod b");
    expect(await readFile(join(target("a"), "reply"), "utf8")).toBe("from pod b");
  });

  it("publishes read-only when asked", async () => {
    await mkdir(join(target("c"), ".."), { recursive: true });
    await call(node, "NodePublishVolume", {
      volume_id: "vol-1",
      target_path: target("c"),
      volume_capability: capability("SINGLE_NODE_MULTI_WRITER"),
      readonly: true,
    });
    expect(await readFile(join(target("c"), "hello"), "utf8")).toBe("from pod a");
    await expect(writeFile(join(target("c"), "nope"), "x")).rejects.toMatchObject({ code: "EROFS" });
  });

  it("refuses a second target for a ReadWriteOncePod (SINGLE_NODE_SINGLE_WRITER) volume", async () => {
    const publish = (pod: string) =>
      call(node, "NodePublishVolume", {
        volume_id: "vol-2",
        target_path: target(pod),
        volume_capability: capability("SINGLE_NODE_SINGLE_WRITER"),
        readonly: false,
      });
    for (const pod of ["d", "e"]) await mkdir(join(target(pod), ".."), { recursive: true });
    await publish("d");
    const second = await grpcError(publish("e"));
    expect(second.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(second.details).toContain(`already published at ${target("d")}`);
    expect(existsSync(target("e"))).toBe(false);
  });

  it("unpublishes: each target unmounted and removed, the data kept; unpublishing again succeeds", async () => {
    const published = [
      ["vol-1", "a"],
      ["vol-1", "b"],
      ["vol-1", "c"],
      ["vol-2", "d"],
    ] as const;
    for (const [volume, pod] of published) {
      await call(node, "NodeUnpublishVolume", { volume_id: volume, target_path: target(pod) });
      expect(existsSync(target(pod)), pod).toBe(false);
    }
    expect(await mountPointsUnder(dir)).toEqual([]);
    expect(await readFile(join(dataDir, "vol-1", "reply"), "utf8")).toBe("from pod b");
    await call(node, "NodeUnpublishVolume", { volume_id: "vol-1", target_path: target("a") });
  });

  it("publishes a raw block volume as a loop device over its backing file, shared by the node's pods, and lets it go with the last", async () => {
    // The kubelet's publish path for a device is a file the driver creates; its parent the kubelet makes.
    const device = (pod: string) =>
      join(dir, "plugins", "kubernetes.io", "csi", "volumeDevices", "publish", "pv-3", pod);
    const block = (mode: string) => ({ block: {}, access_mode: { mode } });
    await mkdir(join(device("f"), ".."), { recursive: true });
    const publish = (pod: string, readonly: boolean) =>
      call(node, "NodePublishVolume", {
        volume_id: "vol-3",
        target_path: device(pod),
        volume_capability: block("SINGLE_NODE_MULTI_WRITER"),
        readonly,
      });
    await publish("f", false);
    await publish("g", false);
    await publish("h", true);
    const loops = () => hostLoopDevices.find(join(dataDir, "vol-3.img"));
    // The two read-write targets share one loop device; the read-only one has its own, read-only.
    const attached = await loops();
    expect(attached.map((d) => d.readOnly).sort()).toEqual([false, true]);
    expect(attached.every((d) => /^\/dev\/loop[0-9]+$/.test(d.name))).toBe(true);
    expect((await stat(device("f"))).isBlockDevice()).toBe(true);
    // What one pod writes to the device, another reads; the backing file holds it.
    await writeFile(device("f"), "token-3");
    expect((await readFile(device("g"))).subarray(0, 7).toString()).toBe("token-3");
    await run("sync");
    expect((await readFile(join(dataDir, "vol-3.img"))).subarray(0, 7).toString()).toBe("token-3");
    expect((await readFile(device("h"))).subarray(0, 7).toString()).toBe("token-3");
    await expect(writeFile(device("h"), "x")).rejects.toMatchObject({ code: "EPERM" });
    for (const pod of ["f", "g"]) {
      await call(node, "NodeUnpublishVolume", { volume_id: "vol-3", target_path: device(pod) });
      expect(existsSync(device(pod)), pod).toBe(false);
    }
    // The read-only target is still published: its device stays, the other went with its last target.
    expect(await loops()).toEqual(attached.filter((d) => d.readOnly));
    await call(node, "NodeUnpublishVolume", { volume_id: "vol-3", target_path: device("h") });
    expect(await loops()).toEqual([]);
  });

  it("takes the kubelet's registration status, and exits non-zero, its sockets removed, when it was not registered", async () => {
    await call(registration, "NotifyRegistrationStatus", { plugin_registered: true, error: "" });
    expect(driver?.child.exitCode).toBeNull();
    await call(registration, "NotifyRegistrationStatus", {
      plugin_registered: false,
      error: "plugin version not supported",
    });
    expect(await driver?.exited).toBe(1);
    expect(driver?.output.join("")).toContain(
      `the kubelet did not register ${driverName}: plugin version not supported`,
    );
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(registrationSocketPath(registrationDir, driverName))).toBe(false);
  });

  it("serves controller and node together in all mode, and removes its sockets on SIGTERM", async () => {
    const allSocket = join(dir, "all", "csi.sock");
    const all = await startDriver(
      [
        `--name=${driverName}`,
        `--socket=${allSocket}`,
        `--csi-proto=${csiProto}`,
        "--mode=all",
        `--state-dir=${join(dir, "all", "state")}`,
        "--node-id=e2e-node",
        `--data-dir=${dataDir}`,
      ],
      /serving Identity, Controller, Node of/,
    );
    others.push(all);
    const client = new (loadProtoPackage(csiProto).csi.v1.Identity)(
      `unix://${allSocket}`,
      grpc.credentials.createInsecure(),
    );
    const plugin = await call<{ capabilities: { service: { type: string } }[] }>(
      client,
      "GetPluginCapabilities",
      {},
    );
    client.close();
    expect(plugin.capabilities.map((c) => c.service.type)).toEqual(["CONTROLLER_SERVICE"]);
    all.child.kill("SIGTERM");
    expect(await all.exited).toBe(0);
    expect(existsSync(allSocket)).toBe(false);
  });
});
