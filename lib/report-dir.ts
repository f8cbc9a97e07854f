import { randomBytes } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import lockfile from "proper-lockfile";
import { UsageError } from "./errors.ts";
import { isRunning, startTicksOf } from "./processes.ts";
import { say } from "./progress.ts";

/**
 * The report directory of a run (AMC_REPORT_DIR, `--report-dir`): checked
 * before anything else, so that a directory the run cannot write to is a
 * usage error (exit code 2) at once, not an infrastructure error after the
 * cluster's preflight; and locked for the run, so that two runs never write
 * their reports, records and Allure results into one directory.
 */

/** Trees of the kernel's pseudo file systems: no place for reports. */
const PSEUDO_TREES = ["/proc", "/sys", "/dev"];
/** Under /dev, shared memory is a real tmpfs. */
const NOT_PSEUDO = ["/dev/shm"];

/** statfs(2) f_type of pseudo file systems, wherever they are mounted (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS: Record<number, string> = {
  40864: "proc",
  1650812274: "sysfs",
  7377: "devpts",
  2613483: "cgroup",
  1667723888: "cgroup2",
  1684170528: "debugfs",
  1953653091: "tracefs",
  1935894131: "securityfs",
  3405662737: "bpf",
  1650812272: "configfs",
  1702057283: "fusectl",
  427819522: "mqueue",
  1853056627: "nsfs",
  1112100429: "binfmt_misc",
  3730735588: "efivarfs",
  1634035564: "pstore",
};

export type PathKind = "directory" | "file" | "symlink" | "other" | "missing";

/** What the check asks of the file system; tests give their own answers. */
export interface ReportDirFs {
  /** What is at the path itself (a symbolic link is "symlink"); "missing" also when a parent is not a directory. */
  kindOf(path: string): PathKind;
  /** What a symbolic link leads to: "missing" when nothing (or a loop). */
  targetKindOf(path: string): PathKind;
  readlink(path: string): string;
  realpath(path: string): string;
  /** statfs(2) f_type, undefined when unknown. */
  fileSystemType(path: string): number | undefined;
  /** Creates one directory whose parent exists (no recursion: Node's recursive mkdir loops for ever on /proc, and says ENOENT for EROFS). */
  makeDirectory(path: string): void;
  /** Creates a file in the directory and removes it again. */
  probeWrite(dir: string): void;
}

const kindOfStats = (stats: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }) =>
  stats.isSymbolicLink() ? "symlink" : stats.isDirectory() ? "directory" : stats.isFile() ? "file" : "other";

const missingCodes = new Set(["ENOENT", "ENOTDIR", "ELOOP"]);

function kindOr(read: () => PathKind): PathKind {
  try {
    return read();
  } catch (error) {
    if (missingCodes.has((error as NodeJS.ErrnoException).code ?? "")) return "missing";
    throw error;
  }
}

export const nodeReportDirFs: ReportDirFs = {
  kindOf: (path) => kindOr(() => kindOfStats(lstatSync(path))),
  targetKindOf: (path) => kindOr(() => kindOfStats(statSync(path))),
  readlink: (path) => readlinkSync(path),
  realpath: (path) => realpathSync(path),
  fileSystemType: (path) => {
    try {
      return statfsSync(path).type;
    } catch {
      return undefined;
    }
  },
  makeDirectory: (path) => {
    try {
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  },
  probeWrite: (dir) => {
    const probe = join(dir, `.amc-write-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
    writeFileSync(probe, "", { flag: "wx" });
    unlinkSync(probe);
  },
};

const within = (path: string, tree: string) => path === tree || path.startsWith(`${tree}/`);

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    case "EDQUOT":
      return "disk quota exceeded";
    default:
      return e.message ?? String(error);
  }
}

/**
 * What is wrong with the directory as a place for a run's reports, or
 * undefined when it is fine. Creates the directory when it is missing, and
 * probes it by creating and removing a file (permission bits alone do not
 * tell: root ignores them, a read-only mount does not show in them); with
 * `create: false` it only looks (a file, a dangling link, a pseudo file system).
 */
export function reportDirProblem(
  dir: string,
  fs: ReportDirFs = nodeReportDirFs,
  { create = true }: { create?: boolean } = {},
): string | undefined {
  const target = resolve(dir);
  // The nearest part of the path that exists: a directory, or what is in the way.
  let existing = target;
  for (;;) {
    let kind = fs.kindOf(existing);
    if (kind === "symlink") {
      kind = fs.targetKindOf(existing);
      if (kind === "missing") {
        return `${existing} is a dangling symbolic link: it points to ${fs.readlink(existing)}, which does not exist`;
      }
    }
    if (kind === "directory") break;
    if (kind === "file") return `${existing} is a file, not a directory`;
    if (kind === "other") return `${existing} is not a directory`;
    const parent = dirname(existing);
    if (parent === existing) return `${existing} does not exist`;
    existing = parent;
  }
  // Where the directory really is, symbolic links resolved, and on what file system.
  const real = join(fs.realpath(existing), relative(existing, target));
  const tree = PSEUDO_TREES.find((t) => within(real, t) && !NOT_PSEUDO.some((n) => within(real, n)));
  if (tree) {
    return `${real === target ? target : `${target} (${real})`} is under ${tree}, a pseudo file system of the kernel, not a place for files; choose a directory on a disk`;
  }
  const type = fs.fileSystemType(existing);
  const pseudo = type === undefined ? undefined : PSEUDO_FILE_SYSTEMS[type];
  if (pseudo) {
    return `${target} is on a ${pseudo} file system, a pseudo file system of the kernel, not a place for files; choose a directory on a disk`;
  }
  // Without creating anything (vitest.config.ts, before the lock), that is all that can be told.
  if (!create) return undefined;
  // The missing parts, one by one from the one that exists.
  const missing = relative(existing, target).split(sep).filter(Boolean);
  for (let i = 1; i <= missing.length; i++) {
    const part = join(existing, ...missing.slice(0, i));
    try {
      fs.makeDirectory(part);
    } catch (error) {
      return `cannot create ${part === target ? target : `${part} (for ${target})`}: ${reason(error)}`;
    }
  }
  try {
    fs.probeWrite(target);
  } catch (error) {
    return `cannot write in ${target}: ${reason(error)}`;
  }
  return undefined;
}

/** How messages name the report directory: the flag, else the variable, else the default. */
export function reportDirLabel(env: NodeJS.ProcessEnv = process.env, flag?: string): string {
  if (flag !== undefined) return `--report-dir ${flag}`;
  const value = env.AMC_REPORT_DIR;
  return value ? `AMC_REPORT_DIR=${value}` : "the report directory (default ./reports)";
}

/** The report directory, absolute, once it is fit for a run (created if missing); a UsageError naming `label` if not. */
export function checkReportDir(dir: string, label: string, fs: ReportDirFs = nodeReportDirFs): string {
  const problem = reportDirProblem(dir, fs);
  if (problem) throw new UsageError(`${label}: ${problem}`);
  return resolve(dir);
}

/** The lock: a directory proper-lockfile creates (and refreshes), and who holds it, beside it. */
export const LOCK_NAME = ".amc-lock";
const OWNER_NAME = ".amc-lock.json";
/** The holder refreshes the lock every 2 s; one that was not refreshed for 10 s is stale (its holder died). */
const UPDATE_MS = 2_000;
const STALE_MS = 10_000;

export interface LockOwner {
  host: string;
  pid: number;
  /** /proc start time of the holder, which tells it from a later process with its pid. */
  startTicks: string;
  since: string;
  command: string;
}

export interface ReportDirLock {
  readonly dir: string;
  /** Gives the lock back (once; later calls do nothing). */
  release(): Promise<void>;
}

interface Held {
  count: number;
  release: () => Promise<void>;
  ownerFile: string;
}

/**
 * Locks this process holds, by directory. On globalThis, not in the module:
 * `amc run` takes the lock before it starts vitest, and the suites' global
 * set-up, which vitest loads as a module of its own in the same process,
 * takes it again; that second taking counts, and only the last release
 * gives the lock back.
 */
function heldLocks(): Map<string, Held> {
  const key = Symbol.for("access-mode-conformance/report-dir-locks");
  const global = globalThis as { [key]?: Map<string, Held> };
  if (!global[key]) {
    global[key] = new Map();
    // proper-lockfile removes its lock directories when the process exits, even on a signal; the owner files go too.
    process.once("exit", () => {
      for (const held of global[key]?.values() ?? []) rmSync(held.ownerFile, { force: true });
    });
  }
  return global[key];
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The holder ran on this machine and is gone: its lock need not go stale first. */
async function holderIsGone(owner: LockOwner | undefined): Promise<boolean> {
  if (!owner || owner.host !== hostname()) return false;
  if ((await startTicksOf(process.pid)) === undefined) return false; // no /proc to tell
  return !(await isRunning(owner));
}

export function inUseMessage(dir: string, owner: LockOwner | undefined): string {
  const who = owner
    ? `pid ${owner.pid}${owner.host === hostname() ? "" : ` on ${owner.host}`}, since ${owner.since}: ${owner.command}`
    : `its lock ${join(dir, LOCK_NAME)} is held; a lock whose holder died goes stale within ${STALE_MS / 1000} s`;
  return `${dir} is in use by another run (${who}). Two runs in one directory would overwrite each other's reports and mix their results: give each run a report directory of its own (--report-dir, AMC_REPORT_DIR), or wait for that run to end`;
}

/**
 * Locks the report directory for this run (it must exist: checkReportDir).
 * A directory another live run holds is a UsageError naming `label`; a
 * lock whose holder was killed is taken over, at once when the holder ran on
 * this machine, else once it went stale (10 s).
 */
export async function lockReportDir(dir: string, label: string): Promise<ReportDirLock> {
  const path = realpathSync(resolve(dir));
  const locks = heldLocks();
  const held = locks.get(path);
  if (held) held.count += 1;
  else locks.set(path, await acquire(path, label));
  let released = false;
  return {
    dir: path,
    release: async () => {
      if (released) return;
      released = true;
      const mine = locks.get(path);
      if (!mine || --mine.count > 0) return;
      locks.delete(path);
      await mine.release();
    },
  };
}

async function acquire(dir: string, label: string): Promise<Held> {
  const lockPath = join(dir, LOCK_NAME);
  const ownerFile = join(dir, OWNER_NAME);
  const options = {
    lockfilePath: lockPath,
    realpath: false,
    stale: STALE_MS,
    update: UPDATE_MS,
    onCompromised: (error: Error) =>
      say("report", `the lock on ${dir} was taken over (${error.message}); going on`),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const unlock = await lockfile.lock(dir, options);
      const owner: LockOwner = {
        host: hostname(),
        pid: process.pid,
        startTicks: (await startTicksOf(process.pid)) ?? "",
        since: new Date().toISOString(),
        command: [basename(process.argv[1] ?? "node"), ...process.argv.slice(2)].join(" "),
      };
      writeFileSync(ownerFile, `${JSON.stringify(owner)}\n`);
      return {
        count: 1,
        ownerFile,
        release: async () => {
          rmSync(ownerFile, { force: true });
          // A lock taken over meanwhile is no longer ours to remove.
          await unlock().catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      const owner = readOwner(ownerFile);
      if (attempt === 0 && (await holderIsGone(owner))) {
        say("report", `${dir}: run ${owner?.pid} that locked it is gone; taking its lock over`);
        rmSync(lockPath, { recursive: true, force: true });
        continue;
      }
      throw new UsageError(`${label}: ${inUseMessage(dir, owner)}`);
    }
  }
}
