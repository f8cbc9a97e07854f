import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { NodeFaults, NodeFaultsOrWhyNot } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import { readSettings } from "../../lib/settings.ts";
import { kubeconfigNodeFaults } from "./node-faults.ts";

/** Node faults on an existing cluster: the opt-in, and the user's commands run for real through the shell. */

const dir = mkdtempSync(join(tmpdir(), "amc-node-faults-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The node faults the settings of these variables give. */
const faultsOf = (env: NodeJS.ProcessEnv) => kubeconfigNodeFaults(readSettings(env));

function available(faults: NodeFaultsOrWhyNot): NodeFaults {
  if ("unavailable" in faults) throw new Error(`unavailable: ${faults.unavailable}`);
  return faults;
}

const commands = {
  AMC_NODE_FAIL_COMMAND: `echo "failed {node} $AMC_NODE $AMC_NODE_FAULT_MODE" > ${dir}/fail-{node}`,
  AMC_NODE_RESTORE_COMMAND: `echo "restored {node} $AMC_NODE_FAULT_MODE" >> ${dir}/restore-{node}`,
};

describe("node faults on an existing cluster", () => {
  it("are unavailable without the opt-in, whatever commands are given", () => {
    for (const env of [{}, commands, { ...commands, AMC_ALLOW_NODE_FAULTS: "0" }]) {
      const faults = faultsOf(env);
      expect(faults).toEqual({ unavailable: expect.stringContaining("AMC_ALLOW_NODE_FAULTS is not set") });
      const reason = (faults as { unavailable: string }).unavailable;
      for (const name of [
        "AMC_ALLOW_NODE_FAULTS=1",
        "--allow-node-faults",
        "AMC_NODE_FAIL_COMMAND",
        "AMC_NODE_RESTORE_COMMAND",
      ]) {
        expect(reason).toContain(name);
      }
    }
  });

  it("are unavailable with the opt-in but without both commands, naming the missing ones", () => {
    expect(faultsOf({ AMC_ALLOW_NODE_FAULTS: "1" })).toEqual({
      unavailable: expect.stringMatching(/AMC_NODE_FAIL_COMMAND and AMC_NODE_RESTORE_COMMAND are not set$/),
    });
    expect(
      faultsOf({ AMC_ALLOW_NODE_FAULTS: "1", AMC_NODE_FAIL_COMMAND: commands.AMC_NODE_FAIL_COMMAND }),
    ).toEqual({ unavailable: expect.stringMatching(/; AMC_NODE_RESTORE_COMMAND is not set$/) });
    expect(
      faultsOf({
        AMC_ALLOW_NODE_FAULTS: "true",
        AMC_NODE_RESTORE_COMMAND: commands.AMC_NODE_RESTORE_COMMAND,
      }),
    ).toEqual({ unavailable: expect.stringMatching(/; AMC_NODE_FAIL_COMMAND is not set$/) });
  });

  it("run the user's commands with {node} replaced and the node and mode in the environment", async () => {
    const faults = available(faultsOf({ AMC_ALLOW_NODE_FAULTS: "1", ...commands }));
    expect(faults.modes).toEqual(["powered-off"]);
    expect(faults.describe("powered-off")).toContain(JSON.stringify(commands.AMC_NODE_FAIL_COMMAND));
    expect(faults.describe("powered-off")).toContain(JSON.stringify(commands.AMC_NODE_RESTORE_COMMAND));

    await faults.fail("worker-1.example", "powered-off");
    expect(readFileSync(join(dir, "fail-worker-1.example"), "utf8")).toBe(
      "failed worker-1.example worker-1.example powered-off\n",
    );
    // Restore may run more than once (the guardian runs it again after a run that died).
    await faults.restore("worker-1.example", "powered-off");
    await faults.restore("worker-1.example", "powered-off");
    expect(readFileSync(join(dir, "restore-worker-1.example"), "utf8")).toBe(
      "restored worker-1.example powered-off\n".repeat(2),
    );
  });

  it("do the mode AMC_NODE_FAULT_MODE says, and refuse to fail with another", async () => {
    const faults = available(
      faultsOf({ AMC_ALLOW_NODE_FAULTS: "1", AMC_NODE_FAULT_MODE: "kubelet-stopped", ...commands }),
    );
    expect(faults.modes).toEqual(["kubelet-stopped"]);
    await faults.fail("worker-2", "kubelet-stopped");
    expect(readFileSync(join(dir, "fail-worker-2"), "utf8")).toBe(
      "failed worker-2 worker-2 kubelet-stopped\n",
    );
    await expect(faults.fail("worker-2", "powered-off")).rejects.toThrow(
      /does kubelet-stopped \(AMC_NODE_FAULT_MODE\), not powered-off/,
    );
  });

  it("throw a command's failure with its stderr", async () => {
    const faults = available(
      faultsOf({
        AMC_ALLOW_NODE_FAULTS: "1",
        AMC_NODE_FAIL_COMMAND: "echo 'no such instance: {node}' >&2; exit 4",
        AMC_NODE_RESTORE_COMMAND: "true",
      }),
    );
    const error = await faults.fail("worker-3", "powered-off").catch((e: Error) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message).toMatch(/^AMC_NODE_FAIL_COMMAND for node worker-3 failed \(exit 4\)/);
    expect((error as Error).message).toContain("no such instance: worker-3");
    await faults.restore("worker-3", "powered-off");
  });

  it("refuse a node name a shell would read as more than a name", async () => {
    const faults = available(faultsOf({ AMC_ALLOW_NODE_FAULTS: "1", ...commands }));
    await expect(faults.fail("x; touch pwned", "powered-off")).rejects.toThrow(UsageError);
    await expect(faults.restore("$(id)", "powered-off")).rejects.toThrow(UsageError);
  });
});
