import { execInPod } from "../../kube/exec.ts";
import { BLOCK_DEVICE_PATH } from "../../manifests.ts";
import {
  dataSeededCheck,
  dataSeededNotApplicable,
  dataSharedCheck,
  dataSharedNotApplicable,
  writeAttemptCheck,
  writeAttemptNotApplicable,
} from "../checks.ts";
import type { PodSlot } from "../scenarios.ts";
import { containersRunning } from "./admitted.ts";
import type { StepCode, StepContext } from "./context.ts";

/**
 * The commands that write the token and read it back: a file in the mounted
 * filesystem, or the first bytes of a raw block device (written through the
 * page cache, then synced, so that another node's loop device over the same
 * backing file reads them).
 */
function tokenWrite(context: StepContext): string[] {
  return context.scenario.volumeMode === "Block"
    ? ["sh", "-c", `printf %s ${context.token} > ${BLOCK_DEVICE_PATH} && sync`]
    : ["sh", "-c", `echo ${context.token} > /data/amc-token`];
}

function tokenRead(context: StepContext): string[] {
  return context.scenario.volumeMode === "Block"
    ? ["head", "-c", String(context.token.length), BLOCK_DEVICE_PATH]
    : ["cat", "/data/amc-token"];
}

/** Kubelet level: pod A writes a token into the volume (on real kubelets only; nothing is mounted elsewhere). */
export const writeToken: StepCode<"write-token"> = async (context, step) => {
  if (context.cluster.fidelity !== "full") return true;
  requireWritten(await execOnceRunning(context, step.pod, tokenWrite(context)), context.names[step.pod]);
  return true;
};

/**
 * A token that could not be written leaves the run without its data check:
 * the case is inconclusive (the failure is the reason), never a storage that
 * "lost" data it was never given.
 */
export function requireWritten(
  result: { stdout: string; stderr: string; status: { status?: string } },
  pod: string,
): void {
  if (result.status.status === "Success") return;
  const said = result.stderr.trim() || result.stdout.trim() || "no output";
  throw new Error(`${pod} could not write the token to the volume: ${said}`);
}

/** Kubelet level: pod B reads the token pod A wrote into the shared volume. */
export const readToken: StepCode<"read-token"> = async (context, step) => {
  const { state } = context;
  const notApplicable = dataSharedNotApplicable(context.cluster.fidelity, state.decision);
  if (notApplicable) {
    state.checks.push(notApplicable);
    return true;
  }
  const read = await execOnceRunning(context, step.pod, tokenRead(context));
  state.checks.push(dataSharedCheck(context.token, read));
  return true;
};

/** The pods the volume reached: pod A, and pod B when the control plane admitted it too (attached to its node as well). */
const admittedSlots = (context: StepContext): PodSlot[] => {
  const outcome = context.state.decision?.outcome;
  return outcome === "admitted" || outcome === "attached-to-two-nodes" ? ["a", "b"] : ["a"];
};

/** Kubelet level: the pods read back the token the seed writer wrote before the volume was re-bound (seed.ts). */
export const readSeed: StepCode<"read-seed"> = async (context) => {
  const { state, names } = context;
  const notApplicable = dataSeededNotApplicable(context.cluster.fidelity);
  if (notApplicable) {
    state.checks.push(notApplicable);
    return true;
  }
  const reads = [];
  for (const slot of admittedSlots(context)) {
    reads.push({ pod: names[slot], ...(await execOnceRunning(context, slot, tokenRead(context))) });
  }
  state.checks.push(dataSeededCheck(context.token, reads));
  return true;
};

/** Kubelet level: the last pod the volume reached tries to write to it. */
export const writeAttempt: StepCode<"write-attempt"> = async (context, step) => {
  const { state } = context;
  const notApplicable = writeAttemptNotApplicable(context.cluster.fidelity, step.readOnly);
  if (notApplicable) {
    state.checks.push(notApplicable);
    return true;
  }
  const slot = admittedSlots(context).at(-1) ?? "a";
  const result = await execOnceRunning(context, slot, ["sh", "-c", "echo amc > /data/amc-write-attempt"]);
  state.checks.push(
    writeAttemptCheck({
      readOnly: step.readOnly,
      className: context.storage.className,
      pod: context.names[slot],
      result,
    }),
  );
  return true;
};

/**
 * Runs `command` in the slot's pod once its container runs: a pod the control
 * plane admitted (phase Running) may have its container restarting after a
 * transient container-runtime failure, and an exec into it would be refused.
 */
async function execOnceRunning(context: StepContext, slot: PodSlot, command: string[]) {
  const name = context.names[slot];
  await context.waitUntil(`${name}'s container to run`, context.timeouts.admitted, (o) =>
    containersRunning(o.pods.get(name)) ? true : undefined,
  );
  return execInPod(context.kube, context.namespace, name, "app", command, context.timeouts.exec);
}
