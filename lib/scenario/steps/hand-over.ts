import { ignoreNotFound } from "../../kube/errors.ts";
import { handedOver } from "../classify.ts";
import { nodeFor } from "../record.ts";
import { type HandoverSeen, handoverTimings } from "../timing.ts";
import type { StepCode } from "./context.ts";

/**
 * Deletes the holder, then waits for the volume to move to the waiting pod's
 * node (the handoff), noting when each milestone was first seen.
 */
export const handOver: StepCode<"hand-over"> = async (context, step) => {
  const { state } = context;
  // A handoff only means something when the waiting pod was blocked by attach.
  if (state.decision?.outcome !== "multi-attach-blocked") return false;
  const holder = context.names[step.from];
  const waiting = context.names[step.to];
  const holderNode = nodeFor(state.nodes, "first");
  const started = context.now();
  // Already gone is fine: a retried delete whose first answer was lost finds it so.
  await context.kube.core
    .deleteNamespacedPod({ name: holder, namespace: context.namespace })
    .catch(ignoreNotFound);
  const seen: HandoverSeen = {};
  const decision = await context.waitUntil(
    `the volume to move from ${holderNode} to ${waiting}'s node`,
    context.timeouts.handover,
    (o) => {
      const progress = handedOver(o, holder, holderNode, waiting);
      const now = context.now();
      if (progress.oldAttachmentGone) seen.oldGone ??= now;
      if (o.attachments.some((va) => va.spec.nodeName !== holderNode && va.status?.attached))
        seen.newAttached ??= now;
      return "outcome" in progress ? progress : undefined;
    },
  );
  const done = context.now();
  state.decision = decision;
  Object.assign(state.timings, handoverTimings(started, done, seen));
  return true;
};
