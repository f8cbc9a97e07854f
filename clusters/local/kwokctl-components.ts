import { readdir, readFile } from "node:fs/promises";
import { connect } from "node:net";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { pidAlive } from "../../lib/processes.ts";

/**
 * The components kwokctl started for a cluster (etcd, kube-apiserver, ...):
 * their pids, ports and logs, from the files kwokctl keeps in the cluster's
 * directory.
 *
 * kwokctl picks each component's port by counting down from 32767 and
 * taking the first one nothing listens on. Two creations at once pick the
 * same ports and one cluster's components fail to bind, so a creation is
 * only finished, for the next one, when every component listens.
 */

/** The components' pids, by component, from kwokctl's pid files. */
export async function componentPids(clusterDir: string): Promise<Record<string, number>> {
  const dir = join(clusterDir, "pids");
  const files = await readdir(dir).catch(() => [] as string[]);
  const pids: Record<string, number> = {};
  for (const file of files.filter((f) => f.endsWith(".pid"))) {
    pids[file.replace(/\.pid$/, "")] = Number((await readFile(join(dir, file), "utf8")).trim());
  }
  return pids;
}

/** kwokctl's port options, and the component (its pid and log file name) that binds each. */
const portOwners: Record<string, string> = {
  etcdPort: "etcd",
  etcdPeerPort: "etcd",
  kubeApiserverPort: "kube-apiserver",
  kubeControllerManagerPort: "kube-controller-manager",
  kubeSchedulerPort: "kube-scheduler",
  kwokControllerPort: "kwok-controller",
};

export interface ComponentPort {
  component: string;
  port: number;
}

/** The ports kwokctl gave the components, from the configuration it saved in the cluster's directory. */
export function componentPorts(savedConfig: string): ComponentPort[] {
  const options = parseAllDocuments(savedConfig)
    .map((document) => document.toJS() as { kind?: string; options?: Record<string, unknown> })
    .find((document) => document?.kind === "KwokctlConfiguration")?.options;
  if (!options) throw new Error("kwokctl saved no KwokctlConfiguration");
  return Object.entries(portOwners).flatMap(([option, component]) => {
    const port = options[option];
    return typeof port === "number" && port > 0 ? [{ component, port }] : [];
  });
}

/** A component as kwokctl starts it (runtime/binary ForkExec): what `kwokctl start cluster` would run. */
export interface ComponentCommand {
  name: string;
  binary: string;
  args: string[];
  workDir: string;
  env: Record<string, string>;
  /** The components it needs, started before it. */
  links: string[];
  /** The ports it listens on (kwokctl picked them at creation, and they stay in its arguments). */
  ports: number[];
  /** Where kwokctl keeps its pid (the directory's pids/, named after the binary) ... */
  pidFile: string;
  /** ... and its log. */
  logFile: string;
}

interface SavedComponent {
  name?: string;
  binary?: string;
  args?: string[];
  workDir?: string;
  links?: string[];
  envs?: { name: string; value: string }[];
  ports?: { port?: number }[];
}

/**
 * The components kwokctl saved in the cluster's kwok.yaml, each with the
 * command kwokctl v0.8.0 runs for it: the binary with its arguments, in its
 * working directory, output appended to logs/<binary>.log and the pid written
 * to pids/<binary>.pid.
 */
export function componentCommands(savedConfig: string): ComponentCommand[] {
  const config = parseAllDocuments(savedConfig)
    .map((document) => document.toJS() as { kind?: string; components?: SavedComponent[] })
    .find((document) => document?.kind === "KwokctlConfiguration");
  if (!config) throw new Error("kwokctl saved no KwokctlConfiguration");
  return (config.components ?? []).map((component) => {
    const { name, binary, workDir } = component;
    if (!name || !binary || !workDir)
      throw new Error(`kwokctl saved a component without name, binary or workDir`);
    const file = basename(binary);
    return {
      name,
      binary,
      args: component.args ?? [],
      workDir,
      env: Object.fromEntries((component.envs ?? []).map((e) => [e.name, e.value])),
      links: component.links ?? [],
      ports: (component.ports ?? []).flatMap((p) =>
        typeof p.port === "number" && p.port > 0 ? [p.port] : [],
      ),
      pidFile: join(workDir, "pids", `${file}.pid`),
      logFile: join(workDir, "logs", `${file}.log`),
    };
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function logTail(clusterDir: string, component: string): Promise<string> {
  const path = join(clusterDir, "logs", `${component}.log`);
  const text = await readFile(path, "utf8").catch(() => "");
  const lines = text.trimEnd().split("\n").slice(-8).join("\n  ");
  return lines ? `; the end of ${path}:\n  ${lines}` : "";
}

/** A component of a cluster being created exited before it listened (its log's end in the message). */
export class ComponentExitedError extends Error {
  readonly component: string;
  constructor(component: string, message: string) {
    super(message);
    this.name = "ComponentExitedError";
    this.component = component;
  }
}

/**
 * Resolves when every component listens on its port and is still running;
 * fails, with the end of its log, as soon as one has exited (a component
 * whose port something else took exits, while that other process answers).
 */
export async function waitForComponentsListening(clusterDir: string, timeoutMs: number): Promise<void> {
  const ports = componentPorts(await readFile(join(clusterDir, "kwok.yaml"), "utf8"));
  const deadline = Date.now() + timeoutMs;
  const exited = async (component: string, port: number) =>
    new ComponentExitedError(
      component,
      `${component} exited (port 127.0.0.1:${port})${await logTail(clusterDir, component)}`,
    );
  for (const { component, port } of ports) {
    // A port has no event to watch: ask it until it answers.
    while (!(await accepts(port))) {
      if (!(await running(clusterDir, component))) throw await exited(component, port);
      if (Date.now() > deadline) {
        throw new Error(
          `${component} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms${await logTail(clusterDir, component)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  for (const { component, port } of ports) {
    if (!(await running(clusterDir, component))) throw await exited(component, port);
  }
}

async function running(clusterDir: string, component: string): Promise<boolean> {
  const pid = (await componentPids(clusterDir))[component];
  return pid !== undefined && pid > 0 && (await pidAlive(pid));
}
