import { chmod, mkdir, open, realpath, rmdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { type CsiAccessMode, type DriverConfig, unsupportedAccessMode } from "./config.ts";
import { CsiError } from "./csi-error.ts";
import { hostLoopDevices, type LoopDevices } from "./loop-devices.ts";
import { deviceName, hostMounter, type MountEntry, type Mounter, mountAt } from "./mounts.ts";

/**
 * The CSI Node RPCs: a volume's data is the directory `<dataDir>/<volume_id>`,
 * bind-mounted onto each target path the kubelet asks for. No staging: a bind
 * mount needs no per-node set-up, so the kubelet calls NodePublishVolume
 * directly. What is published where is read from the mount table, not
 * remembered, so a restarted plugin (or a rebooted node) sees the truth.
 *
 * A raw block volume (access type block) is the file `<dataDir>/<volume_id>.img`
 * behind a loop device of this node (loop-devices.ts; a read-only one for a
 * read-only publish), bind-mounted onto the target file the kubelet names; a
 * loop device goes when its last target does.
 */

/** The size of a raw block volume's backing file: sparse, so only what is written takes space. */
export const BLOCK_FILE_BYTES = 64 * 1024 ** 2;

export interface NodeVolumeCapability {
  access_mode?: { mode?: string } | null;
  /** The oneof's case ("mount" or "block"), as proto-loader reports it with `oneofs`. */
  access_type?: string;
}

export interface NodePublishVolumeRequest {
  volume_id?: string;
  target_path?: string;
  volume_capability?: NodeVolumeCapability | null;
  readonly?: boolean;
}

export interface NodeUnpublishVolumeRequest {
  volume_id?: string;
  target_path?: string;
}

/**
 * Modes that allow one target path per node (CSI spec, NodePublishVolume's
 * second table): a second target is FAILED_PRECONDITION. SINGLE_NODE_MULTI_WRITER
 * and the MULTI_NODE modes allow several.
 */
const oneTargetModes: readonly string[] = [
  "SINGLE_NODE_SINGLE_WRITER",
  "SINGLE_NODE_WRITER",
  "SINGLE_NODE_READER_ONLY",
] satisfies CsiAccessMode[];

const volumeIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class NodeService {
  private readonly config: DriverConfig;
  private readonly nodeId: string;
  private readonly dataDir: string;
  private readonly mounter: Mounter;
  private readonly loops: LoopDevices;
  /** Per volume, the tail of its queue: calls for one volume run one at a time (the one-target check needs it). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(config: DriverConfig, mounter: Mounter = hostMounter, loops: LoopDevices = hostLoopDevices) {
    if (!config.nodeId || !config.dataDir) throw new Error("the node service needs a node ID and a data dir");
    this.config = config;
    this.nodeId = config.nodeId;
    this.dataDir = config.dataDir;
    this.mounter = mounter;
    this.loops = loops;
  }

  nodeGetInfo() {
    const key = this.config.topologyKey;
    return {
      node_id: this.nodeId,
      max_volumes_per_node: "0", // no limit
      // The kubelet labels the Node with these segments and lists the key in CSINode.
      ...(key
        ? { accessible_topology: { segments: { [key]: this.config.topologyValue ?? this.nodeId } } }
        : {}),
    };
  }

  nodeGetCapabilities() {
    // SINGLE_NODE_MULTI_WRITER, as the controller advertises it: the kubelet then
    // sends ReadWriteOnce as SINGLE_NODE_MULTI_WRITER (a second pod on the node
    // shares the volume) and ReadWriteOncePod as SINGLE_NODE_SINGLE_WRITER.
    // Without it both arrive as SINGLE_NODE_WRITER, which allows one target.
    return { capabilities: [{ rpc: { type: "SINGLE_NODE_MULTI_WRITER" } }] };
  }

  async nodePublishVolume(request: NodePublishVolumeRequest): Promise<object> {
    const volumeId = this.checkVolumeId(request.volume_id);
    const target = this.checkTargetPath(request.target_path, "NodePublishVolume");
    const mode = this.checkCapability(request.volume_capability);
    const readOnly = request.readonly ?? false;
    if (request.volume_capability?.access_type === "block") {
      return this.serialized(volumeId, () => this.publishBlock(volumeId, target, readOnly));
    }
    return this.serialized(volumeId, async () => {
      const volumeDir = await this.volumeDir(volumeId);
      const volume = await stat(volumeDir, { bigint: true });
      const mounts = await this.mounter.mounts();
      const targetPath = await canonical(target);
      const current = mountAt(mounts, targetPath);
      if (current) {
        if (!(await sameDirectory(targetPath, volume))) {
          throw new CsiError("FAILED_PRECONDITION", `target_path ${target} has something else mounted on it`);
        }
        if (current.readOnly !== readOnly) {
          throw new CsiError(
            "ALREADY_EXISTS",
            `volume ${volumeId} is already published at ${target} ${current.readOnly ? "read-only" : "read-write"}`,
          );
        }
        return {}; // already published there: idempotent
      }
      if (oneTargetModes.includes(mode)) {
        const others = await publishedAt(mounts, volumeDir, volume);
        if (others.length > 0) {
          throw new CsiError(
            "FAILED_PRECONDITION",
            `volume ${volumeId} is already published at ${others.join(", ")} on this node and its access mode ${mode} allows one`,
          );
        }
      }
      await mkdir(target, { recursive: true });
      await this.mounter.bind(volumeDir, target);
      if (readOnly) {
        await this.mounter.remountReadOnly(target).catch(async (error: Error) => {
          await this.mounter.unmount(target); // never leave a writable mount behind a read-only request
          throw error;
        });
      }
      return {};
    });
  }

  async nodeUnpublishVolume(request: NodeUnpublishVolumeRequest): Promise<object> {
    // Any ID will do here: the target path says what to undo.
    const volumeId = request.volume_id;
    if (!volumeId) throw new CsiError("INVALID_ARGUMENT", "NodeUnpublishVolume: volume_id is required");
    const target = this.checkTargetPath(request.target_path, "NodeUnpublishVolume");
    return this.serialized(volumeId, async () => {
      const targetPath = await canonical(target);
      // A raw block volume's target has this node's loop device on it: noted before it comes off.
      const devices = new Set(
        (await this.mounter.mounts()).filter((m) => m.mountPoint === targetPath).map((m) => m.root),
      );
      // Repeated publishes may have stacked mounts: take them all off.
      for (let attempt = 0; mountAt(await this.mounter.mounts(), targetPath); attempt++) {
        if (attempt === 8) throw new Error(`${target} is still a mount point after ${attempt} unmounts`);
        await this.mounter.unmount(targetPath);
      }
      const found = await stat(target).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined; // already gone: idempotent
        throw error;
      });
      if (found?.isFile()) {
        // A raw block volume's target is a file (its device was mounted on it): an empty file is all that is left.
        await unlink(target);
        await this.releaseLoopDevices(volumeId, devices);
      } else if (found) {
        // rmdir, not rm -r: a directory that still holds files was not our mount, and its files are not ours to delete.
        await rmdir(target);
      }
      return {};
    });
  }

  /** The volume ID names a directory under the data dir, so it must be a plain name. */
  private checkVolumeId(volumeId: string | undefined): string {
    if (!volumeId) throw new CsiError("INVALID_ARGUMENT", "NodePublishVolume: volume_id is required");
    if (!volumeIdPattern.test(volumeId)) {
      throw new CsiError(
        "INVALID_ARGUMENT",
        `NodePublishVolume: volume_id ${JSON.stringify(volumeId)} is not a plain name`,
      );
    }
    return volumeId;
  }

  private checkTargetPath(targetPath: string | undefined, rpc: string): string {
    if (!targetPath) throw new CsiError("INVALID_ARGUMENT", `${rpc}: target_path is required`);
    if (!isAbsolute(targetPath)) {
      throw new CsiError("INVALID_ARGUMENT", `${rpc}: target_path ${targetPath} is not absolute`);
    }
    return resolve(targetPath);
  }

  /** The access mode of a publish request; what the volume cannot do is FAILED_PRECONDITION ("exceeds capabilities"). */
  private checkCapability(capability: NodeVolumeCapability | null | undefined): string {
    if (!capability?.access_mode?.mode) {
      throw new CsiError(
        "INVALID_ARGUMENT",
        "NodePublishVolume: volume_capability with an access mode is required",
      );
    }
    if (capability.access_type !== "mount" && capability.access_type !== "block") {
      throw new CsiError("INVALID_ARGUMENT", "NodePublishVolume: volume_capability needs an access type");
    }
    const mode = capability.access_mode.mode;
    const refusal = unsupportedAccessMode(this.config, mode, "FAILED_PRECONDITION");
    if (refusal) throw refusal;
    return mode;
  }

  /**
   * The volume's data directory, created on its first publish: the node cannot
   * see the controller's records, so it cannot tell a new volume from a
   * deleted one and never answers NOT_FOUND.
   */
  private async volumeDir(volumeId: string): Promise<string> {
    const dir = join(this.dataDir, volumeId);
    await mkdir(this.dataDir, { recursive: true });
    const created = await mkdir(dir).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return false;
        throw error;
      },
    );
    // Any pod user may write, as on a fresh filesystem of a real volume (fsGroup may narrow it).
    if (created) await chmod(dir, 0o777);
    return dir;
  }

  /**
   * Publishes a raw block volume: its loop device (attached on the volume's
   * first publish on this node) bind-mounted onto the target file. No
   * one-target check here: the kubelet binds each published device again
   * (its global map path), so the mount table cannot tell a second publish
   * from the kubelet's own, and the modes that allow one target
   * (ReadWriteOncePod) are refused by the kubelet before they reach a driver.
   */
  private async publishBlock(volumeId: string, target: string, readOnly: boolean): Promise<object> {
    const file = await this.blockFile(volumeId);
    const mounts = await this.mounter.mounts();
    const mounted = (device: string) => mounts.some((m) => m.root === mountRoot(device));
    // A loop device is the node's own when its mount table shows it: on kind every node shares one
    // kernel, and another node's device over the same shared file is that node's to keep or let go.
    const own = (await this.loops.find(file)).find((d) => d.readOnly === readOnly && mounted(d.name));
    const targetPath = await canonical(target);
    const current = mountAt(mounts, targetPath);
    if (current) {
      if (!own || current.root !== mountRoot(own.name)) {
        throw new CsiError("FAILED_PRECONDITION", `target_path ${target} has something else mounted on it`);
      }
      return {}; // already published there, from the loop device of this access: idempotent
    }
    const device = own?.name ?? (await this.loops.attach(file, readOnly));
    try {
      await mkdir(dirname(target), { recursive: true });
      await (await open(target, "a")).close();
      await this.mounter.bind(device, target);
    } catch (error) {
      if (!own) await this.loops.detach(device).catch(() => undefined); // not left attached to nothing
      throw error;
    }
    return {};
  }

  /** The backing file of a raw block volume, created (sparse) on its first publish. */
  private async blockFile(volumeId: string): Promise<string> {
    const file = join(this.dataDir, `${volumeId}.img`);
    await mkdir(this.dataDir, { recursive: true });
    const handle = await open(file, "a");
    try {
      if ((await handle.stat()).size === 0) await handle.truncate(BLOCK_FILE_BYTES);
    } finally {
      await handle.close();
    }
    return file;
  }

  /**
   * Detaches the loop devices that were on an unpublished target (their mount
   * roots, "/loopN") once no other target on this node has them mounted.
   */
  private async releaseLoopDevices(volumeId: string, roots: ReadonlySet<string>): Promise<void> {
    if (roots.size === 0) return;
    const ours = (await this.loops.find(join(this.dataDir, `${volumeId}.img`))).filter((d) =>
      roots.has(mountRoot(d.name)),
    );
    const mounts = await this.mounter.mounts();
    for (const device of ours) {
      if (!mounts.some((m) => m.root === mountRoot(device.name))) await this.loops.detach(device.name);
    }
  }

  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(key) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return result;
  }
}

/** What the mount table shows as the root of a bind mount of a device node ("/loop3" for /dev/loop3). */
function mountRoot(device: string): string {
  return `/${basename(device)}`;
}

/** The path as the mount table writes it (symlinks resolved), or as given when it does not exist yet. */
async function canonical(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

async function sameDirectory(path: string, directory: { dev: bigint; ino: bigint }): Promise<boolean> {
  const found = await stat(path, { bigint: true }).catch(() => undefined);
  return found !== undefined && found.dev === directory.dev && found.ino === directory.ino;
}

/**
 * Where the volume directory is bind-mounted: the mount points of its
 * filesystem whose directory is the volume's. Only mounts of that device are
 * looked at, so an unrelated hung mount is never touched.
 */
async function publishedAt(
  mounts: readonly MountEntry[],
  volumeDir: string,
  volume: { dev: bigint; ino: bigint },
): Promise<string[]> {
  const device = deviceName(volume.dev);
  const candidates = mounts.filter((m) => m.device === device && m.mountPoint !== volumeDir);
  const matches = await Promise.all(candidates.map((m) => sameDirectory(m.mountPoint, volume)));
  return [...new Set(candidates.filter((_, i) => matches[i]).map((m) => m.mountPoint))];
}
