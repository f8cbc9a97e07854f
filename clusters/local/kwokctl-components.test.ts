import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { componentCommands, componentPorts } from "./kwokctl-components.ts";

// The configuration kwokctl v0.8.0 saved for a local cluster (its first two documents).
const saved = readFileSync(new URL("./testdata/kwokctl-saved-config.yaml", import.meta.url), "utf8");

describe("kwokctl's component ports", () => {
  it("are read from the configuration kwokctl saved, each with the component that binds it", () => {
    expect(componentPorts(saved)).toEqual([
      { component: "etcd", port: 32765 },
      { component: "etcd", port: 32766 },
      { component: "kube-apiserver", port: 32764 },
      { component: "kube-controller-manager", port: 32762 },
      { component: "kube-scheduler", port: 32761 },
      { component: "kwok-controller", port: 32763 },
    ]);
  });

  it("refuse a file that is not kwokctl's configuration", () => {
    expect(() => componentPorts("kind: Stage\n")).toThrow("kwokctl saved no KwokctlConfiguration");
  });
});

describe("kwokctl's component commands", () => {
  const dir = "/root/.cache/access-mode-conformance/kwok/clusters/amc-look";

  it("are what kwokctl runs for each component, in the order it starts them, with its pid and log files", () => {
    const commands = componentCommands(saved);
    expect(commands.map((c) => [c.name, c.links, c.ports])).toEqual([
      ["etcd", [], [32766, 32765]],
      ["kube-apiserver", ["etcd"], [32764]],
      ["kube-controller-manager", ["kube-apiserver"], [32762]],
      ["kube-scheduler", ["kube-apiserver"], [32761]],
      ["kwok-controller", ["kube-apiserver"], [32763]],
    ]);
    const scheduler = commands.find((c) => c.name === "kube-scheduler");
    expect(scheduler).toEqual({
      name: "kube-scheduler",
      binary: `${dir}/bin/kube-scheduler`,
      args: [
        `--kubeconfig=${dir}/kubeconfig.yaml`,
        "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
        "--bind-address=127.0.0.1",
        "--secure-port=32761",
      ],
      workDir: dir,
      env: {},
      links: ["kube-apiserver"],
      ports: [32761],
      pidFile: `${dir}/pids/kube-scheduler.pid`,
      logFile: `${dir}/logs/kube-scheduler.log`,
    });
    // Files are named after the binary, as kwokctl names them (the component is kwok-controller too here).
    expect(commands.find((c) => c.name === "kwok-controller")?.pidFile).toBe(
      `${dir}/pids/kwok-controller.pid`,
    );
  });

  it("refuse a file that is not kwokctl's configuration", () => {
    expect(() => componentCommands("kind: Stage\n")).toThrow("kwokctl saved no KwokctlConfiguration");
  });
});
