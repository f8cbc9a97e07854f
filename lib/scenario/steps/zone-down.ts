import { ignoreNotFound } from "../../kube/errors.ts";
import { addTaint, ZONE_DOWN_TAINT_KEY, zoneDownRun, zoneDownTaint } from "../../kube/taints.ts";
import { ZONE_LABEL } from "../../labels.ts";
import { decide as classify } from "../classify.ts";
import { nodeFor } from "../record.ts";
import { type HandoverSeen, handoverTimings } from "../timing.ts";
import { NotApplicable, type StepCode } from "./context.ts";
import { keepDecision } from "./decide.ts";
import { createPod } from "./pod.ts";

/**
 * Takes the holder's zone down the way upstream's regional-disk test does:
 * every node of the pool in that zone gets a NoSchedule taint (the suite's
 * pods tolerate none; pods already running there stay), then the holder is
 * deleted, as a lost zone's pods are. Once it is gone (and its attachment,
 * on attachable storage), its replacement is placed on any node of the pool
 * and the control plane decides: it runs in another zone, or it waits.
 * A replacement that runs is timed from the holder's deletion as a handoff
 * is (handoffMs, detachMs, attachMs); one that waits has its decision time
 * and the detach. The taint is the clean-up's to remove (runner.ts), also
 * when a wait here times out.
 */
export const zoneDown: StepCode<"zone-down"> = async (context, step) => {
  const { kube, state, pool, storage, names } = context;
  const holder = names[step.holder];
  const replacement = names[step.by];
  const holderNode = nodeFor(state.nodes, "first");
  // The zone that confines zonal storage's volumes is its own key's; any other storage's, the node's zone.
  const zoneKey = storage.zoneKey ?? ZONE_LABEL;
  const zoneOf = (node: string) => pool.labels[node]?.[zoneKey];
  const zone = zoneOf(holderNode);
  // The cross-zone placement chose a first node with a zone; without one there is no zone to take down.
  if (zone === undefined)
    throw new NotApplicable(`${holderNode} has no ${zoneKey} label: no zone to take down`);
  const down = pool.nodes.map((n) => n.name).filter((n) => zoneOf(n) === zone);
  // Another run's zone failover on the same zone: its taint is not this run's to add to, nor to remove.
  for (const node of down) {
    const other = zoneDownRun(await kube.core.readNode({ name: node }));
    if (other !== undefined && other !== context.run.runId) {
      throw new NotApplicable(`${node} is already taken down by run ${other} (taint ${ZONE_DOWN_TAINT_KEY})`);
    }
  }
  for (const node of down) {
    // Noted first: a taint whose answer was lost is still the clean-up's to remove.
    state.taintedNodes.push(node);
    await addTaint(kube, node, zoneDownTaint(context.run.runId));
  }
  const started = context.now();
  await kube.core.deleteNamespacedPod({ name: holder, namespace: context.namespace }).catch(ignoreNotFound);
  const seen: HandoverSeen = {};
  await context.waitUntil(
    `${holder} to be gone and the volume detached from ${holderNode} (zone ${zoneKey}=${zone} down: ${down.join(", ")})`,
    context.timeouts.handover,
    (o) => {
      const attached = o.attachments.some((va) => va.spec.nodeName === holderNode);
      // A detach is timed only where there is one (attachable storage), and once the volume is known.
      if (o.attachRequired && o.claim?.spec?.volumeName && !attached) seen.oldGone ??= context.now();
      return !o.pods.has(holder) && !attached ? true : undefined;
    },
  );
  await createPod(
    context,
    step.by,
    pool.nodes.map((n) => n.name),
    {},
  );
  const decision = await context.waitUntil(
    `the control plane's decision on ${replacement} with zone ${zone} down`,
    context.timeouts.decision,
    (o) => {
      if (o.attachments.some((va) => va.spec.nodeName !== holderNode && va.status?.attached))
        seen.newAttached ??= context.now();
      return classify(o, replacement, holder);
    },
  );
  keepDecision(context, decision, step.by);
  const timings = handoverTimings(started, context.now(), seen);
  // A replacement that runs elsewhere was handed the volume: timed as a handoff. One that waits was not.
  if (decision.outcome === "admitted") Object.assign(state.timings, timings);
  else if (timings.detachMs !== undefined) state.timings.detachMs = timings.detachMs;
  return true;
};
