import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import { basename } from "node:path";

/**
 * Host processes a cluster provider starts (the local cluster's CSI driver and sidecars). They
 * outlive the command that started them, so each is recorded by pid and by its
 * start time in /proc (a pid alone could be reused by an unrelated process
 * after a reboot), and stopped by that record.
 */

export interface ProcessRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started. */
  startTicks: string;
  command: string;
  args: string[];
  logFile: string;
}

/** Start time of a live process; undefined when there is none or only its zombie is left. */
export async function startTicksOf(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!stat) return undefined;
  // The command name (field 2) may contain spaces; fields after it are plain: state, ppid, ...
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined; // exited, waiting to be reaped
  return fields[19];
}

export async function startDetached(
  name: string,
  command: string,
  args: string[],
  logFile: string,
): Promise<ProcessRecord> {
  const log = openSync(logFile, "a");
  try {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${name}: ${command}`);
    child.unref();
    const startTicks = await startTicksOf(pid);
    if (startTicks === undefined) throw new Error(`${name} exited at once; see ${logFile}`);
    return { name, pid, startTicks, command, args, logFile };
  } finally {
    closeSync(log);
  }
}

/** This process, as a record that tells it from a later process with the same pid. */
export async function currentProcess(): Promise<{ pid: number; startTicks: string }> {
  return { pid: process.pid, startTicks: (await startTicksOf(process.pid)) ?? "" };
}

/** Whether any live process has this pid (a zombie does not count). */
export async function pidAlive(pid: number): Promise<boolean> {
  return (await startTicksOf(pid)) !== undefined;
}

export async function isRunning(record: Pick<ProcessRecord, "pid" | "startTicks">): Promise<boolean> {
  return (await startTicksOf(record.pid)) === record.startTicks;
}

/** Resolves when the process is gone, or after `timeoutMs` with false. */
async function waitForExit(record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // A process that is not our child gives no exit event to wait on; /proc is all there is.
  while (Date.now() < deadline) {
    if (!(await isRunning(record))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !(await isRunning(record));
}

/** Sends a signal; false when the process is already gone (ESRCH). */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns how it ended. */
export async function stopProcess(
  record: ProcessRecord,
  graceMs = 5_000,
): Promise<"not-running" | "terminated" | "killed"> {
  if (!(await isRunning(record))) return "not-running";
  if (!signal(record.pid, "SIGTERM")) return "not-running";
  if (await waitForExit(record, graceMs)) return "terminated";
  if (!signal(record.pid, "SIGKILL")) return "terminated";
  await waitForExit(record, 2_000);
  return "killed";
}

/** Whether `text` names `path` itself or something under it, not a sibling that merely starts alike (/x/amc vs /x/amc-2). */
export function mentionsPath(text: string, path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`${escaped}(?=/|$|[^A-Za-z0-9._-])`).test(text);
}

export interface MentioningProcess {
  pid: number;
  /** The program's file name (argv[0] without its directory). */
  program: string;
  cmdline: string;
}

/**
 * Every process whose command line or working directory mentions `path`:
 * what is left of a cluster after teardown, if anything (and also a shell or
 * a log viewer someone left in its directory, which callers must spare).
 */
export async function processesMentioning(path: string): Promise<MentioningProcess[]> {
  const found: MentioningProcess[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").filter(Boolean);
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    if (args.some((arg) => mentionsPath(arg, path)) || mentionsPath(cwd, path)) {
      found.push({ pid, program: basename(args[0] ?? ""), cmdline: args.join(" ") });
    }
  }
  return found;
}
