import { execa } from "execa";
import type { NodeFaultMode, NodeFaultsOrWhyNot } from "../../lib/cluster/contract.ts";
import { nodeFaultModes } from "../../lib/cluster/contract.ts";
import { InfrastructureError, UsageError } from "../../lib/errors.ts";
import type { Settings } from "../../lib/settings.ts";

/**
 * Failing a node of an existing cluster: never without the user's opt-in
 * (AMC_ALLOW_NODE_FAULTS=1, --allow-node-faults) and the user's own commands
 * that fail and restore a node (AMC_NODE_FAIL_COMMAND,
 * AMC_NODE_RESTORE_COMMAND), run through the shell with `{node}` replaced by
 * the node's name, which is also in $AMC_NODE ($AMC_NODE_FAULT_MODE is the
 * mode). The fail command does one mode, AMC_NODE_FAULT_MODE (default
 * powered-off). The restore command must succeed when the node is already
 * up: the guardian runs it again after a run that died.
 */

const optIn =
  "failing a node of an existing cluster needs the user's opt-in: AMC_ALLOW_NODE_FAULTS=1 (--allow-node-faults) " +
  "with AMC_NODE_FAIL_COMMAND and AMC_NODE_RESTORE_COMMAND, the shell commands that fail and restore a node " +
  "({node} in them, and $AMC_NODE, is its name)";

/** Long enough for a cloud instance to stop or start; a command that hangs must not hang the run. */
const commandTimeoutMs = 10 * 60_000;

/** Kubernetes node names are DNS subdomains: nothing in one means anything to a shell. */
const nodeName = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

export function kubeconfigNodeFaults(settings: Pick<Settings, "failover">): NodeFaultsOrWhyNot {
  const { allowNodeFaults, failCommand, restoreCommand, commandMode } = settings.failover;
  if (!allowNodeFaults) return { unavailable: `${optIn}; AMC_ALLOW_NODE_FAULTS is not set` };
  const missing = [
    ...(failCommand ? [] : ["AMC_NODE_FAIL_COMMAND"]),
    ...(restoreCommand ? [] : ["AMC_NODE_RESTORE_COMMAND"]),
  ];
  if (!failCommand || !restoreCommand) {
    return { unavailable: `${optIn}; ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set` };
  }
  const mode = nodeFaultModes.find((m) => m === commandMode) ?? "powered-off";
  const commands = { fail: failCommand, restore: restoreCommand };

  const run = async (what: "fail" | "restore", node: string, asked: NodeFaultMode) => {
    if (!nodeName.test(node)) throw new UsageError(`node "${node}": not a Kubernetes node name`);
    // Restore runs whatever the mode: there is one restore command, and undoing must never be refused.
    if (what === "fail" && asked !== mode) {
      throw new UsageError(
        `the node fail command does ${mode} (AMC_NODE_FAULT_MODE), not ${asked}: amc runs only that mode on this cluster`,
      );
    }
    const variable = what === "fail" ? "AMC_NODE_FAIL_COMMAND" : "AMC_NODE_RESTORE_COMMAND";
    const command = commands[what].replaceAll("{node}", node);
    const result = await execa(command, {
      shell: true,
      reject: false,
      stdin: "ignore",
      timeout: commandTimeoutMs,
      env: { AMC_NODE: node, AMC_NODE_FAULT_MODE: mode },
    });
    if (result.exitCode !== 0) {
      const why = result.timedOut
        ? `it did not end within ${commandTimeoutMs / 60_000} minutes`
        : `exit ${result.exitCode ?? result.signal ?? "unknown"}`;
      const stderr = String(result.stderr ?? "").trim();
      throw new InfrastructureError(
        `${variable} for node ${node} failed (${why}): ${JSON.stringify(command)}${stderr ? `\n${stderr}` : ""}`,
      );
    }
  };

  return {
    modes: [mode],
    describe: (described) =>
      `${described === mode ? "" : `(the commands do ${mode}, not ${described}) `}the user's AMC_NODE_FAIL_COMMAND ${JSON.stringify(failCommand)}, ` +
      `undone by AMC_NODE_RESTORE_COMMAND ${JSON.stringify(restoreCommand)}`,
    fail: (node, asked) => run("fail", node, asked),
    restore: (node, asked) => run("restore", node, asked),
  };
}
