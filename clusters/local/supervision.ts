/**
 * The rules of the local cluster's supervisor (supervisor.ts), as pure
 * functions over plain data: when a component that exited is started again
 * (a bounded exponential back-off, as a kubelet restarts a static pod), and
 * how the state the supervisor records reads in `amc cluster status`.
 */

/** The first restart waits this long; each exit soon after a start doubles it. */
export const FIRST_RESTART_DELAY_MS = 1_000;
/** The back-off's cap. */
export const MAX_RESTART_DELAY_MS = 30_000;
/** A component that stayed up this long starts its back-off again from the first delay. */
export const STABLE_AFTER_MS = 60_000;

/** How long to wait before a restart, after `quickExits` exits that each came soon after a start. */
export function restartDelayMs(quickExits: number): number {
  return Math.min(FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, quickExits), MAX_RESTART_DELAY_MS);
}

/** What the supervisor starts again when it exits. */
export interface SupervisedSpec {
  name: string;
  kind: "control-plane" | "csi";
  command: string;
  args: string[];
  /** The working directory (kwokctl starts its components in the cluster's directory). */
  cwd?: string;
  env?: Record<string, string>;
  /** Appended to, as the first start did. */
  logFile: string;
  /** kwokctl's pid file, rewritten on each start so that kwokctl finds (and stops) the new process. */
  pidFile?: string;
  /** Components that must be running before this one is started again (kwokctl's links). */
  after: string[];
  /**
   * The loopback ports it listens on. While it is down the supervisor holds
   * them: kwokctl gives a cluster being created the first ports nothing
   * listens on, and would give it these.
   */
  ports?: number[];
}

/** One component as the supervisor last saw it. Times are ISO 8601. */
export interface ComponentState {
  name: string;
  kind: SupervisedSpec["kind"];
  state: "running" | "down";
  /** The running process, or the last one. */
  pid: number;
  /** Its start time in /proc (a pid alone could be a later, unrelated process). */
  startTicks: string;
  /** When it entered its state: started, or found gone. */
  since: string;
  /** Restarts by the supervisor so far. */
  restarts: number;
  /** Exits in a row that each came before the component had been up STABLE_AFTER_MS: the back-off's exponent. */
  quickExits: number;
  /** How the last process ended: "exit code 1", "signal SIGKILL", or "exit status unknown" for one the supervisor did not start. */
  lastExit?: string;
  /** When a down component is started again (if what it needs is running by then). */
  nextRestartAt?: string;
  /** The components it waits for, while they are down. */
  waitingFor?: string[];
  /** Its ports that another process took while it was down: it cannot start until they are free. */
  portsTaken?: number[];
}

/** The supervisor's state file (supervision.json in the cluster's own directory). */
export interface SupervisionReport {
  supervisor: { pid: number; startTicks: string; startedAt: string };
  updatedAt: string;
  components: ComponentState[];
}

/**
 * A component as the supervisor finds it when it starts: running or not. A
 * supervisor that replaces one that died keeps its predecessor's count of
 * restarts and how the last process ended.
 */
export function firstSeen(
  spec: Pick<SupervisedSpec, "name" | "kind">,
  process: { pid: number; startTicks: string } | undefined,
  now: number,
  previous?: Pick<ComponentState, "restarts" | "lastExit">,
): ComponentState {
  const at = new Date(now).toISOString();
  const history = {
    restarts: previous?.restarts ?? 0,
    quickExits: 0,
    ...(previous?.lastExit ? { lastExit: previous.lastExit } : {}),
  };
  if (process)
    return { name: spec.name, kind: spec.kind, state: "running", ...process, since: at, ...history };
  return {
    name: spec.name,
    kind: spec.kind,
    state: "down",
    pid: 0,
    startTicks: "",
    since: at,
    ...history,
    lastExit: "not running when supervision began",
    nextRestartAt: new Date(now + restartDelayMs(0)).toISOString(),
  };
}

/** A running component found gone at `now`: down, with its next start after the back-off. */
export function exited(component: ComponentState, now: number, how: string): ComponentState {
  const upFor = now - Date.parse(component.since);
  const streak = component.state === "running" && upFor >= STABLE_AFTER_MS ? 0 : component.quickExits;
  return {
    ...component,
    state: "down",
    since: new Date(now).toISOString(),
    quickExits: streak + 1,
    lastExit: how,
    nextRestartAt: new Date(now + restartDelayMs(streak)).toISOString(),
  };
}

/** A start that failed at once (the program is missing, say) counts as an exit, and backs off the same way. */
export function failedToStart(component: ComponentState, now: number, why: string): ComponentState {
  return {
    ...component,
    since: component.state === "down" ? component.since : new Date(now).toISOString(),
    state: "down",
    quickExits: component.quickExits + 1,
    lastExit: `could not start: ${why}`,
    nextRestartAt: new Date(now + restartDelayMs(component.quickExits)).toISOString(),
  };
}

export function restarted(
  component: ComponentState,
  now: number,
  process: { pid: number; startTicks: string },
): ComponentState {
  const { nextRestartAt: _next, waitingFor: _waiting, portsTaken: _taken, ...rest } = component;
  return {
    ...rest,
    ...process,
    state: "running",
    since: new Date(now).toISOString(),
    restarts: component.restarts + 1,
  };
}

/** A running component that has stayed up STABLE_AFTER_MS: its next exit backs off from the first delay again. */
export function settled(component: ComponentState, now: number): ComponentState {
  if (component.state !== "running" || component.quickExits === 0) return component;
  return now - Date.parse(component.since) >= STABLE_AFTER_MS ? { ...component, quickExits: 0 } : component;
}

/**
 * Whether a down component is to be started now: its back-off has passed and
 * every component it needs runs. Otherwise the components it waits for.
 */
export function restartDecision(
  component: ComponentState,
  after: readonly string[],
  isRunning: (name: string) => boolean,
  now: number,
): { start: boolean; waitingFor: string[] } {
  if (component.state !== "down") return { start: false, waitingFor: [] };
  const waitingFor = after.filter((name) => !isRunning(name));
  const due = component.nextRestartAt === undefined || Date.parse(component.nextRestartAt) <= now;
  return { start: due && waitingFor.length === 0, waitingFor };
}

function clock(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

function times(n: number): string {
  return `${n} ${n === 1 ? "time" : "times"}`;
}

/**
 * One component's state in a line: running (and its restarts), or down since
 * when, with the restarts so far. `exitedUnseen`: its process is gone, and the
 * supervisor has not looked since (it looks every second).
 */
export function describeComponent(component: ComponentState, now: number, exitedUnseen = false): string {
  if (component.state === "running" && exitedUnseen) {
    return `down: pid ${component.pid} exited in the last second, restarts so far: ${component.restarts}`;
  }
  if (component.state === "running") {
    const restarts =
      component.restarts === 0
        ? ""
        : `, restarted ${times(component.restarts)}, last at ${clock(component.since)} (the process before: ${component.lastExit ?? "unknown"})`;
    return `running, pid ${component.pid}${restarts}`;
  }
  const parts = [
    `down since ${clock(component.since)} (${ago(now - Date.parse(component.since))})`,
    `restarts so far: ${component.restarts}`,
  ];
  if (component.lastExit) parts.push(`last: ${component.lastExit}`);
  if (component.portsTaken?.length)
    parts.push(`port ${component.portsTaken.join(", ")} taken by another process meanwhile`);
  if (component.waitingFor?.length) parts.push(`waiting for ${component.waitingFor.join(", ")}`);
  else if (component.nextRestartAt) {
    const inMs = Date.parse(component.nextRestartAt) - now;
    parts.push(inMs > 0 ? `next start in ${ago(inMs)}` : "starting");
  }
  return parts.join(", ");
}

/**
 * The status lines of one kind of component, `indent`ed, names padded to a
 * column; `exitedUnseen` names those found gone since the supervisor's last look.
 */
export function componentLines(
  report: SupervisionReport,
  kind: SupervisedSpec["kind"],
  now: number,
  exitedUnseen: ReadonlySet<string> = new Set(),
  indent = "    ",
): string[] {
  return report.components
    .filter((c) => c.kind === kind)
    .map((c) => `${indent}${c.name.padEnd(26)} ${describeComponent(c, now, exitedUnseen.has(c.name))}`);
}

/** The components the supervisor saw down, each with a line for a health check's problems. */
export function downComponents(report: SupervisionReport, now: number): Map<string, string> {
  return new Map(
    report.components
      .filter((c) => c.state === "down")
      .map((c) => [c.name, `${c.name} is ${describeComponent(c, now)}`]),
  );
}
