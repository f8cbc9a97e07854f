import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * Raw block volumes: the node plugin backs each one by a file and presents it
 * as a loop device (losetup), as a real node sees a SAN LUN or an attached
 * disk. The file lives where the volume's data lives (a directory every node
 * shares for network-like storage, the node's own for node-local storage), so
 * two nodes' loop devices over one file are one volume seen from two nodes.
 * A read-only publish gets a read-only loop device of its own: a read-only
 * bind mount of a device node does not stop writes to the device.
 * Behind an interface so that the node service is unit-tested without root.
 */
export interface LoopDevices {
  /** A new loop device backed by `file`, read-only or not. */
  attach(file: string, readOnly: boolean): Promise<string>;
  /** Every loop device backed by `file`. */
  find(file: string): Promise<LoopDevice[]>;
  /** Detaches the device (the kernel lets go of it once nothing holds it open). */
  detach(device: string): Promise<void>;
}

export interface LoopDevice {
  name: string;
  readOnly: boolean;
}

const run = promisify(execFile);

async function losetup(args: readonly string[]): Promise<string> {
  try {
    return (await run("losetup", args)).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`losetup ${args.join(" ")} failed: ${stderr || (error as Error).message}`);
  }
}

/** `losetup --list --noheadings --raw --output NAME,RO --associated FILE` lines: "/dev/loop3 0". */
export function parseLoopList(output: string): LoopDevice[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [name = "", ro = "0"] = line.trim().split(/\s+/);
      return { name, readOnly: ro === "1" };
    });
}

/** The real thing: util-linux losetup on this node's kernel. */
export const hostLoopDevices: LoopDevices = {
  find: async (file) =>
    parseLoopList(
      await losetup(["--list", "--noheadings", "--raw", "--output", "NAME,RO", "--associated", file]),
    ),
  attach: async (file, readOnly) =>
    (await losetup(["--find", "--show", ...(readOnly ? ["--read-only"] : []), file])).trim(),
  detach: async (device) => {
    await losetup(["--detach", device]);
  },
};
