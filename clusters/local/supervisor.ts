import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { access, readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { type ProcessRecord, startTicksOf } from "../../lib/processes.ts";
import { componentCommands } from "./kwokctl-components.ts";
import {
  type ComponentState,
  exited,
  failedToStart,
  firstSeen,
  restartDecision,
  restarted,
  type SupervisedSpec,
  type SupervisionReport,
  settled,
} from "./supervision.ts";

/**
 * The local cluster's supervisor: one detached process per cluster
 * (supervisor-main.ts), started by `up` after the components
 * (supervisor-process.ts) and stopped first by `down`. A cluster
 * outlives the command that started it, so its supervision cannot live in
 * that command's process.
 *
 * Twice a second (and at once when one of its own children exits) it checks
 * each component's process in /proc by pid and start time: kwokctl's control
 * plane (pids from kwokctl's pid files, commands from the kwok.yaml kwokctl
 * saved) and the CSI driver and sidecars (from the cluster's state file). One
 * that is gone is started again with the command it was started with, after
 * the back-off of supervision.ts, and once the components it needs run. The
 * supervisor starts the process itself, as `kwokctl start cluster` would
 * (same binary, arguments, working directory, log and pid file): kwokctl
 * judges a component running by kill(pid, 0), which a zombie passes, and
 * offers no back-off; a child of its own also tells the supervisor how it
 * ended. Each component's state goes to supervision.json, which `amc cluster
 * status` reads.
 */

/** The files a supervisor works on. */
export interface SupervisedCluster {
  /** The cluster's state file: the CSI processes' records. Supervision ends when it is gone. */
  state: string;
  /** kwokctl's directory of the cluster: kwok.yaml and the pid files. */
  kwokClusterDir: string;
  /** Where the supervisor records each component's state (supervision.json). */
  report: string;
}

export async function readSupervision(path: string): Promise<SupervisionReport | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as SupervisionReport;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

/** What to supervise: kwokctl's components (in kwokctl's start order), then the CSI processes. */
async function supervisedSpecs(paths: SupervisedCluster): Promise<SupervisedSpec[]> {
  const controlPlane = componentCommands(await readFile(join(paths.kwokClusterDir, "kwok.yaml"), "utf8"));
  const state = JSON.parse(await readFile(paths.state, "utf8")) as { processes?: ProcessRecord[] };
  const csi = state.processes ?? [];
  const names = new Set(csi.map((p) => p.name));
  return [
    ...controlPlane.map(
      (c): SupervisedSpec => ({
        name: c.name,
        kind: "control-plane",
        command: c.binary,
        args: c.args,
        cwd: c.workDir,
        env: c.env,
        logFile: c.logFile,
        pidFile: c.pidFile,
        after: c.links,
        ports: c.ports,
      }),
    ),
    ...csi.map((p): SupervisedSpec => {
      // A sidecar talks to its driver's socket: start the driver first.
      const driver = p.name.replace(/-(provisioner|attacher)$/, "-driver");
      return {
        name: p.name,
        kind: "csi",
        command: p.command,
        args: p.args,
        logFile: p.logFile,
        after: driver !== p.name && names.has(driver) ? [driver] : [],
      };
    }),
  ];
}

/**
 * Listeners that keep a down component's ports from a cluster being created
 * meanwhile (kwokctl takes the first ports it can listen on), by component.
 */
class PortHolder {
  private readonly held = new Map<string, Map<number, Server>>();

  /** Holds every port of the component it can; returns those another process has. */
  async hold(spec: SupervisedSpec): Promise<number[]> {
    const mine = this.held.get(spec.name) ?? new Map<number, Server>();
    this.held.set(spec.name, mine);
    const taken: number[] = [];
    for (const port of spec.ports ?? []) {
      if (mine.has(port)) continue;
      const server = createServer((socket) => socket.destroy());
      const listening = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen({ host: "127.0.0.1", port, exclusive: true }, () => resolve(true));
      });
      if (listening) mine.set(port, server);
      else taken.push(port);
    }
    return taken;
  }

  /** Frees the component's ports, just before it is started. */
  async release(name: string): Promise<void> {
    const mine = this.held.get(name);
    this.held.delete(name);
    await Promise.all(
      [...(mine?.values() ?? [])].map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    );
  }
}

async function pidFromFile(pidFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function live(pid: number | undefined): Promise<{ pid: number; startTicks: string } | undefined> {
  if (pid === undefined) return undefined;
  const startTicks = await startTicksOf(pid);
  return startTicks === undefined ? undefined : { pid, startTicks };
}

/** Runs the supervisor until SIGTERM, or until the cluster's state file is gone. */
export async function supervise(paths: SupervisedCluster, pollMs = 500): Promise<void> {
  const specs = await supervisedSpecs(paths);
  const self = { pid: process.pid, startTicks: (await startTicksOf(process.pid)) ?? "" };
  const startedAt = new Date().toISOString();
  /** The children the supervisor started and has not yet seen end. */
  const children = new Set<number>();
  /** How each of them ended, by pid, until the next check reads it. */
  const endings = new Map<number, string>();
  /** Ends the wait between checks early; a child that exits during a check skips the next wait. */
  let wake: () => void = () => undefined;
  let wakeEarly = false;
  let stopping = false;
  let checking = false;
  const stop = () => {
    stopping = true;
    if (!checking) process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  // A supervisor that replaces one that died (`up` starts one for a cluster whose supervisor is gone)
  // goes on from its predecessor's report: the CSI processes it started, and the restarts so far.
  const previous = await readSupervision(paths.report);
  const components: ComponentState[] = [];
  for (const spec of specs) {
    const before = previous?.components.find((c) => c.name === spec.name);
    let running: { pid: number; startTicks: string } | undefined;
    if (spec.pidFile) running = await live(await pidFromFile(spec.pidFile));
    else if (before && before.pid > 0 && (await startTicksOf(before.pid)) === before.startTicks)
      running = { pid: before.pid, startTicks: before.startTicks };
    else running = await live(await recordedPid(paths.state, spec.name));
    components.push(firstSeen(spec, running, Date.now(), before));
  }
  log(
    `supervising ${specs.length} components: ${components.map((c) => `${c.name} (${c.state === "running" ? `pid ${c.pid}` : "down"})`).join(", ")}`,
  );

  const start = async (spec: SupervisedSpec): Promise<{ pid: number; startTicks: string }> => {
    const out = openSync(spec.logFile, "a");
    try {
      const child = spawn(spec.command, spec.args, {
        ...(spec.cwd ? { cwd: spec.cwd } : {}),
        env: { ...process.env, ...spec.env },
        // Its own session, as kwokctl starts its components: the supervisor's end does not end it.
        detached: true,
        stdio: ["ignore", out, out],
      });
      const pid = child.pid;
      if (pid === undefined) {
        const error = await new Promise<Error>((resolve) => child.once("error", resolve));
        throw error;
      }
      child.on("error", () => undefined);
      children.add(pid);
      child.once("exit", (code, signal) => {
        endings.set(pid, signal ? `signal ${signal}` : `exit code ${code}`);
        wakeEarly = true;
        wake();
      });
      // Written before anything else can run: kwokctl (and `down`) stop the process by this file.
      if (spec.pidFile) writeFileSync(spec.pidFile, String(pid));
      return { pid, startTicks: (await startTicksOf(pid)) ?? "" };
    } finally {
      closeSync(out);
    }
  };

  const ports = new PortHolder();
  let written = "";
  let stateMissing = 0;
  const check = async () => {
    if (!(await exists(paths.state))) {
      // `down` stops the supervisor first; this is for a cluster whose directory was removed by hand.
      if (++stateMissing >= 3) {
        log(`${paths.state} is gone: the cluster was removed; supervision ends`);
        stopping = true;
      }
      return;
    }
    stateMissing = 0;
    const now = Date.now();
    for (const [i, spec] of specs.entries()) {
      let component = components[i] as ComponentState;
      if (spec.pidFile) {
        // Started by someone else (kwokctl start cluster): take over the process kwokctl recorded.
        const other = await live(await pidFromFile(spec.pidFile));
        if (other && other.pid !== component.pid) {
          log(`${spec.name}: pid file names pid ${other.pid}, running; supervising it`);
          component = { ...component, ...other, state: "running", since: new Date(now).toISOString() };
          const { nextRestartAt: _n, waitingFor: _w, ...rest } = component;
          component = rest;
        }
      }
      if (component.state === "running") {
        const current = await live(component.pid);
        if (current?.startTicks === component.startTicks) component = settled(component, now);
        else if (children.has(component.pid) && !endings.has(component.pid)) {
          // A child of its own that is gone from /proc but whose exit Node has not reported yet:
          // the report wakes the supervisor in a moment, with the exit status.
        } else {
          // A process the supervisor did not start (kwokctl did) leaves no exit status to it.
          const how = endings.get(component.pid) ?? "exit status unknown";
          endings.delete(component.pid);
          children.delete(component.pid);
          component = exited(component, now, how);
          log(
            `${spec.name} (pid ${component.pid}) ended: ${how}; starting it again at ${component.nextRestartAt}`,
          );
        }
      }
      components[i] = component;
    }
    // In kwokctl's order: what a component needs is started before it, and gets a check's time to come up.
    const startedNow = new Set<string>();
    const isRunning = (name: string) =>
      !startedNow.has(name) && components.find((c) => c.name === name)?.state === "running";
    for (const [i, spec] of specs.entries()) {
      // Told to stop (amc cluster down): start nothing more, or what it starts may be recorded nowhere.
      if (stopping) break;
      let component = components[i] as ComponentState;
      if (component.state !== "down") continue;
      const taken = await ports.hold(spec);
      const { portsTaken: _t, ...untaken } = component;
      component = taken.length ? { ...untaken, portsTaken: taken } : untaken;
      const decision = restartDecision(component, spec.after, isRunning, now);
      if (!decision.start) {
        const { waitingFor: _w, ...rest } = component;
        component = decision.waitingFor.length ? { ...rest, waitingFor: decision.waitingFor } : rest;
      } else {
        try {
          await ports.release(spec.name);
          const started = await start(spec);
          component = restarted(component, Date.now(), started);
          startedNow.add(spec.name);
          log(`${spec.name}: started again, pid ${started.pid} (restart ${component.restarts})`);
        } catch (error) {
          component = failedToStart(component, Date.now(), (error as Error).message);
          log(`${spec.name}: ${component.lastExit}; next try at ${component.nextRestartAt}`);
        }
      }
      components[i] = component;
    }
    const text = JSON.stringify(components);
    if (text !== written) {
      const report: SupervisionReport = {
        supervisor: { ...self, startedAt },
        updatedAt: new Date().toISOString(),
        components,
      };
      await writeFile(`${paths.report}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
      await rename(`${paths.report}.tmp`, paths.report);
      written = text;
    }
  };

  while (!stopping) {
    checking = true;
    try {
      await check();
    } catch (error) {
      log(`check failed: ${(error as Error).stack ?? error}`);
    }
    checking = false;
    if (stopping) break;
    if (wakeEarly) {
      wakeEarly = false;
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wakeEarly = false;
  }
  log("supervision ends");
  process.exit(0);
}

async function recordedPid(statePath: string, name: string): Promise<number | undefined> {
  const state = JSON.parse(await readFile(statePath, "utf8")) as { processes?: ProcessRecord[] };
  const record = state.processes?.find((p) => p.name === name);
  if (!record) return undefined;
  return (await startTicksOf(record.pid)) === record.startTicks ? record.pid : undefined;
}
