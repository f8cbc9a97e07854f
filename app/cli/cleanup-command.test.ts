import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanupCommandLine } from "./cleanup-command.ts";
import { main } from "./main.ts";

/** `amc cleanup`'s arguments and the command line messages name, without a cluster. */

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function errors() {
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  return () => err.mock.calls.map((c) => c.join(" ")).join("\n");
}

describe("amc cleanup", () => {
  it("is named with the flags that reach the run's cluster", () => {
    const none = { provider: "local" };
    expect(cleanupCommandLine("r1", none, "amc")).toBe("amc cleanup --run r1 --cluster-name amc");
    expect(cleanupCommandLine(undefined, { provider: "kind", name: "ci" })).toBe(
      "amc cleanup --cluster kind --cluster-name ci",
    );
    expect(
      cleanupCommandLine("r1", {
        provider: "kubeconfig",
        kubeconfig: "/home/me/my configs/k",
        context: "prod",
      }),
    ).toBe("amc cleanup --run r1 --kubeconfig '/home/me/my configs/k' --context prod");
    expect(cleanupCommandLine("r1", { provider: "kubeconfig" })).toBe(
      "amc cleanup --run r1 --cluster kubeconfig",
    );
  });

  it("never starts a cluster: local and kind need a name", async () => {
    vi.stubEnv("AMC_CLUSTER_NAME", "");
    vi.stubEnv("AMC_LOCAL_CLUSTER", "");
    vi.stubEnv("AMC_KIND_CLUSTER", "");
    vi.stubEnv("AMC_CLUSTER", "");
    const err = errors();
    expect(await main(["cleanup"])).toBe(2);
    expect(err()).toMatch(
      /^amc cleanup: which local cluster\? name it with --cluster-name .*\nusage: amc cleanup /,
    );
    expect(await main(["cleanup", "--cluster", "kind", "--run", "r1"])).toBe(2);
    expect(err()).toContain("amc cleanup: which kind cluster? name it with --cluster-name");
  });

  it.each([
    [["cleanup", "--run", "a,b"], "amc cleanup: --run a,b: not a run id"],
    [
      ["cleanup", "--cluster", "mars"],
      "amc cleanup: --cluster mars: expected one of local, kind, kubeconfig",
    ],
    [
      ["cleanup", "--cluster-name", "x", "--context", "c"],
      "amc cleanup: --cluster-name is for clusters amc can start",
    ],
    [["cleanup", "--scenario", "rwo-handoff"], "amc cleanup: unknown option --scenario"],
  ])("refuses %j", async (args, message) => {
    const err = errors();
    expect(await main(args)).toBe(2);
    expect(err()).toContain(message);
  });

  it("prints its help", async () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(await main(["help", "cleanup"])).toBe(0);
    expect(out.mock.calls.join("\n")).toMatch(/^usage: amc cleanup \[--run ID\]/);
  });
});
