import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { componentPorts } from "./kwokctl-components.ts";

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
