import { PatchStrategy } from "@kubernetes/client-node";
import { WaitTimeoutError } from "../../kube/wait.ts";
import { hostnameOf, PROGRESS_DEADLINE_SECONDS, rolloutPatch } from "../../manifests.ts";
import { progressDeadlineCheck, progressDeadlineNotApplicable } from "../checks.ts";
import { admittedOn, progressDeadlineExceeded, rolloutProgress } from "../classify.ts";
import { nodeFor } from "../record.ts";
import { type RolloutSeen, rolloutTimings } from "../timing.ts";
import { attachRequiredOf } from "../watch.ts";
import type { StepCode, StepContext } from "./context.ts";
import { keepDecision } from "./decide.ts";

/**
 * Changes the workload's pod template (an annotation, and the node its pod
 * must run on) and waits until the rollout completes or stalls. The new node
 * is made certain by the template's nodeSelector: a real rollout changes an
 * image, and its new pod lands on another node only when the scheduler picks
 * one. A stalled Deployment is then watched until it reports
 * ProgressDeadlineExceeded, where it can.
 */
export const roll: StepCode<"roll"> = async (context, step) => {
  const { kube, namespace, state, names } = context;
  const workload = state.workload;
  if (!workload) throw new Error("roll: no workload was created");
  const target = nodeFor(state.nodes, step.to);
  await kube.objects.patch(
    {
      apiVersion: "apps/v1",
      kind: workload.kind === "deployment" ? "Deployment" : "StatefulSet",
      metadata: { name: workload.name, namespace },
      ...rolloutPatch(target, hostnameOf(target, context.pool.labels).nodeHostname, 1),
    },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
  const started = context.now();
  // Decision times count from the change: the new pod is made by a controller, not by the suite.
  state.createdAtMs.b = started;
  const seen: RolloutSeen = { started };
  const progress = await context.waitUntil(
    `the rollout of ${workload.name} to ${target}`,
    context.timeouts.rollout,
    (o) => {
      const p = rolloutProgress(o, { oldPod: workload.oldPod, targetNode: target });
      const now = context.now();
      if (p.oldPodLeaving) seen.oldPodLeaving ??= now;
      if (p.oldAttachmentGone) seen.oldAttachmentGone ??= now;
      if (p.newAttached) seen.newAttached ??= now;
      if (p.newPod && admittedOn(o, p.newPod) === target) {
        seen.newAdmitted ??= now;
        // Both pods using the volume on two nodes: the old one not yet on its way out.
        if (!p.oldPodLeaving && target !== workload.oldPod.node)
          seen.bothAdmitted ??= { at: now, pod: p.newPod };
      }
      return p.decision ? p : undefined;
    },
  );
  const decision = progress.decision;
  if (!decision) throw new Error("roll: the wait ended without a decision");
  if (progress.newPod) names.b = progress.newPod;
  const both = seen.bothAdmitted;
  keepDecision(
    context,
    both
      ? {
          ...decision,
          summary: `${decision.summary}; during the rollout ${both.pod} ran on ${target} while ${workload.oldPod.name} still ran on ${workload.oldPod.node}, both with the volume`,
        }
      : decision,
    "b",
  );
  if (decision.outcome === "rollout-completed") {
    const attachable = attachRequiredOf(context.storage);
    const moved = target !== workload.oldPod.node;
    Object.assign(state.timings, rolloutTimings(seen, moved && attachable));
  } else if (workload.kind === "deployment") {
    await checkProgressDeadline(context, workload.name);
  }
  return true;
};

/** Waits for the stalled Deployment to report ProgressDeadlineExceeded, where its status can show it. */
async function checkProgressDeadline(context: StepContext, deployment: string): Promise<void> {
  const { state } = context;
  const decision = state.decision;
  if (!decision) return;
  const notApplicable = progressDeadlineNotApplicable(context.cluster.fidelity, decision);
  if (notApplicable) {
    state.checks.push(notApplicable);
    return;
  }
  const condition = await context
    .waitUntil(
      `${deployment} to report ProgressDeadlineExceeded`,
      PROGRESS_DEADLINE_SECONDS * 1000 + context.timeouts.decision,
      (o) => progressDeadlineExceeded(o, deployment),
    )
    .catch((error: unknown) => {
      if (error instanceof WaitTimeoutError) return undefined;
      throw error;
    });
  state.checks.push(progressDeadlineCheck(condition, PROGRESS_DEADLINE_SECONDS, context.cluster.fidelity));
}
