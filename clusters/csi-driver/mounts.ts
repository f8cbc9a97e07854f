import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

/**
 * The node's mount table and the three mount operations the node plugin
 * needs (bind, remount read-only, unmount), behind one small interface so
 * that the node service is unit-tested without root. The table is read from
 * /proc/self/mountinfo: in the plugin's container, /var/lib/kubelet is
 * mounted with Bidirectional propagation, so the kubelet's pod directories and
 * our bind mounts under them show there as they are on the node.
 */

export interface MountEntry {
  /** Where it is mounted (escapes decoded). */
  mountPoint: string;
  /** The directory of its filesystem that is mounted there: the source of a bind mount. */
  root: string;
  /** "major:minor" of the filesystem. */
  device: string;
  /** Mounted read-only (the per-mount flag, which a read-only remount of a bind mount sets). */
  readOnly: boolean;
}

/** Decodes the octal escapes mountinfo writes for space, tab, newline and backslash. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses /proc/<pid>/mountinfo (proc(5)): `id parent major:minor root mount-point options [optional...] - type source super-options`. */
export function parseMountInfo(text: string): MountEntry[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [, , device, root, mountPoint, options] = line.split(" ");
      if (device === undefined || root === undefined || mountPoint === undefined || options === undefined) {
        throw new Error(`unreadable mountinfo line: ${line}`);
      }
      return {
        mountPoint: unescapeMountPath(mountPoint),
        root: unescapeMountPath(root),
        device,
        readOnly: options.split(",").includes("ro"),
      };
    });
}

/** The mount on top at `path` (later entries are mounted over earlier ones), if `path` is a mount point. */
export function mountAt(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  return mounts.findLast((m) => m.mountPoint === path);
}

/** "major:minor" of a device number, as mountinfo writes it (glibc's encoding of dev_t). */
export function deviceName(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return `${major}:${minor}`;
}

export interface Mounter {
  mounts(): Promise<MountEntry[]>;
  bind(source: string, target: string): Promise<void>;
  remountReadOnly(target: string): Promise<void>;
  unmount(target: string): Promise<void>;
}

const run = promisify(execFile);

async function mount(args: readonly string[]): Promise<void> {
  try {
    await run("/bin/mount", args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`mount ${args.join(" ")} failed: ${stderr || (error as Error).message}`);
  }
}

/** The real thing: /bin/mount and /bin/umount on this process's mount namespace. */
export const hostMounter: Mounter = {
  mounts: async () => parseMountInfo(await readFile("/proc/self/mountinfo", "utf8")),
  bind: (source, target) => mount(["--bind", source, target]),
  // A bind mount takes its source's flags; read-only needs a remount of the bind itself.
  remountReadOnly: (target) => mount(["-o", "remount,bind,ro", target]),
  unmount: async (target) => {
    try {
      await run("/bin/umount", [target]);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(`umount ${target} failed: ${stderr || (error as Error).message}`);
    }
  },
};
