import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type ComponentState,
  componentLines,
  downComponents,
  exited,
  failedToStart,
  firstSeen,
  restartDecision,
  restartDelayMs,
  restarted,
  type SupervisionReport,
  settled,
} from "./supervision.ts";

const recorded = (file: string) =>
  JSON.parse(readFileSync(new URL(`./testdata/${file}`, import.meta.url), "utf8")) as SupervisionReport;

/**
 * Recorded by the supervisor of a real local cluster: the API server and the controller-manager killed
 * while another process took the API server's port (the supervisor holds a down component's ports, so
 * the supervisor was stopped meanwhile, as a race would let it be), so each start of the API server
 * exited with "address already in use" and the controller-manager waited for it. Once the port was
 * free again (16 s after the kill) both ran.
 */
const portTaken = recorded("supervision-apiserver-port-taken.json");
/** kube-controller-manager, kube-scheduler and amc-block-driver killed with SIGKILL, 3 s later. */
const afterRestarts = recorded("supervision-restarted.json");

const at = (iso: string) => Date.parse(iso);
const t0 = at("2026-12-01T20:00:00.000Z");

describe("the restart back-off", () => {
  it("doubles from 1 s and stops at 30 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10, 100].map(restartDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
  });

  it("grows while a component keeps exiting soon after each start, and starts over once it stayed up a minute", () => {
    let c: ComponentState = firstSeen(
      { name: "kube-controller-manager", kind: "control-plane" },
      { pid: 10, startTicks: "1" },
      t0,
    );
    let now = t0 + 5 * 60_000;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      c = exited(c, now, "exit code 1");
      const next = at(c.nextRestartAt ?? "");
      delays.push(next - now);
      now = next;
      c = restarted(c, now, { pid: 100 + i, startTicks: String(100 + i) });
      now += 500; // exits half a second after each start
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(c.restarts).toBe(8);

    // Up for a minute: the check that sees it running resets the streak ...
    now += 60_000;
    c = settled(c, now);
    expect(c.quickExits).toBe(0);
    c = exited(c, now + 1, "signal SIGKILL");
    expect(at(c.nextRestartAt ?? "") - (now + 1)).toBe(1_000);
  });

  it("starts over even when no check saw the minute pass (the exit comes first)", () => {
    let c = firstSeen({ name: "kube-scheduler", kind: "control-plane" }, { pid: 1, startTicks: "1" }, t0);
    c = exited(c, t0 + 1_000, "exit status unknown");
    c = restarted(c, t0 + 2_000, { pid: 2, startTicks: "2" });
    c = exited(c, t0 + 3_000, "exit code 1");
    expect(at(c.nextRestartAt ?? "") - (t0 + 3_000)).toBe(2_000);
    c = restarted(c, t0 + 5_000, { pid: 3, startTicks: "3" });
    c = exited(c, t0 + 5_000 + 60_000, "exit code 1");
    expect(at(c.nextRestartAt ?? "") - (t0 + 65_000)).toBe(1_000);
  });

  it("backs off a start that fails at once as an exit, keeping when the component went down", () => {
    let c = firstSeen({ name: "amc-block-driver", kind: "csi" }, { pid: 1, startTicks: "1" }, t0);
    c = exited(c, t0 + 10_000, "signal SIGKILL");
    c = failedToStart(c, t0 + 11_000, "spawn /x ENOENT");
    expect(c).toMatchObject({
      state: "down",
      since: new Date(t0 + 10_000).toISOString(),
      lastExit: "could not start: spawn /x ENOENT",
      nextRestartAt: new Date(t0 + 11_000 + 2_000).toISOString(),
    });
  });
});

describe("a restart's turn", () => {
  const running = new Set(["etcd"]);
  const isRunning = (name: string) => running.has(name);

  it("waits for what the component needs, as kwokctl starts its components in the order of their links", () => {
    // Recorded: the controller-manager's back-off had passed, but the API server was down.
    const cm = portTaken.components.find((c) => c.name === "kube-controller-manager") as ComponentState;
    expect(restartDecision(cm, ["kube-apiserver"], isRunning, at(portTaken.updatedAt))).toEqual({
      start: false,
      waitingFor: ["kube-apiserver"],
    });
    running.add("kube-apiserver");
    expect(restartDecision(cm, ["kube-apiserver"], isRunning, at(portTaken.updatedAt))).toEqual({
      start: true,
      waitingFor: [],
    });
  });

  it("comes when the back-off has passed", () => {
    // Recorded: its fourth exit since it last stayed up a minute (back-off 1, 2, 4, then 8 s).
    const apiserver = portTaken.components.find((c) => c.name === "kube-apiserver") as ComponentState;
    const next = at(apiserver.nextRestartAt ?? "");
    expect(next - at(apiserver.since)).toBe(8_000);
    expect(restartDecision(apiserver, ["etcd"], isRunning, next - 1).start).toBe(false);
    expect(restartDecision(apiserver, ["etcd"], isRunning, next).start).toBe(true);
  });

  it("never comes for a running component", () => {
    const etcd = portTaken.components.find((c) => c.name === "etcd") as ComponentState;
    expect(restartDecision(etcd, [], isRunning, t0).start).toBe(false);
  });
});

describe("the supervisor's state in amc cluster status", () => {
  it("says which component is down, since when, its restarts so far, what it waits for, and a port taken", () => {
    const now = at("2026-12-01T20:38:10.000Z");
    expect(componentLines(portTaken, "control-plane", now)).toEqual([
      "    etcd                       running, pid 23754",
      "    kube-apiserver             down since 2026-12-01 20:38:08Z (1 s), restarts so far: 7, last: exit code 1, port 32752 taken by another process meanwhile, next start in 7 s",
      "    kube-controller-manager    down since 2026-12-01 20:38:00Z (9 s), restarts so far: 2, last: signal SIGKILL, waiting for kube-apiserver",
      "    kube-scheduler             running, pid 24015, restarted 1 time, last at 2026-12-01 20:35:04Z (the process before: exit status unknown)",
      "    kwok-controller            running, pid 23760",
    ]);
    expect(componentLines(portTaken, "control-plane", at("2026-12-01T20:40:20.000Z"))[1]).toBe(
      "    kube-apiserver             down since 2026-12-01 20:38:08Z (2 min), restarts so far: 7, last: exit code 1, port 32752 taken by another process meanwhile, starting",
    );
  });

  it("says how often a running component was started again, when last, and how the process before ended", () => {
    const now = at(afterRestarts.updatedAt) + 2_000;
    expect(componentLines(afterRestarts, "control-plane", now).slice(2, 4)).toEqual([
      "    kube-controller-manager    running, pid 15460, restarted 1 time, last at 2026-12-01 20:29:55Z (the process before: exit status unknown)",
      "    kube-scheduler             running, pid 15461, restarted 1 time, last at 2026-12-01 20:29:55Z (the process before: exit status unknown)",
    ]);
    expect(componentLines(afterRestarts, "csi", now)).toEqual([
      "    amc-block-driver           running, pid 15462, restarted 1 time, last at 2026-12-01 20:29:55Z (the process before: exit status unknown)",
      "    amc-block-provisioner      running, pid 15233",
      "    amc-block-attacher         running, pid 15237",
      "    amc-local-driver           running, pid 15241",
      "    amc-local-provisioner      running, pid 15273",
      "    amc-shared-driver          running, pid 15277",
      "    amc-shared-provisioner     running, pid 15288",
    ]);
  });

  it("shows a process that exited since the supervisor last looked as down already", () => {
    const lines = componentLines(
      afterRestarts,
      "control-plane",
      at(afterRestarts.updatedAt),
      new Set(["etcd"]),
    );
    expect(lines[0]).toBe(
      "    etcd                       down: pid 15042 exited in the last second, restarts so far: 0",
    );
  });

  it("lists the components that are down as health problems", () => {
    const now = at("2026-12-01T20:38:10.000Z");
    expect([...downComponents(portTaken, now).keys()]).toEqual(["kube-apiserver", "kube-controller-manager"]);
    expect(downComponents(portTaken, now).get("kube-controller-manager")).toBe(
      "kube-controller-manager is down since 2026-12-01 20:38:00Z (9 s), restarts so far: 2, last: signal SIGKILL, waiting for kube-apiserver",
    );
    expect(downComponents(afterRestarts, now).size).toBe(0);
  });
});
