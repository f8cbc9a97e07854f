import { renderClaim, toYaml } from "../../manifests.ts";
import { volumeReach } from "../../storage/family.ts";
import { provisioningRefusal } from "../classify.ts";
import { chooseNodes } from "../nodes.ts";
import { claimModes } from "../scenarios.ts";
import { NotApplicable, refusal, type StepCode, type StepContext } from "./context.ts";

/**
 * Creates the claim in the scenario's access modes, then chooses the nodes.
 * With Immediate binding the volume exists first: the nodes must reach it.
 * A class that refuses the access modes, or a pool with no nodes that fit,
 * makes the scenario not applicable.
 */
export const claim: StepCode<"claim"> = async (context) => {
  const { kube, namespace, names, storage, scenario, timeouts } = context;
  const body = renderClaim({
    name: names.claim,
    namespace,
    labels: context.labels,
    accessMode: claimModes(scenario),
    storageClassName: storage.className,
    ...(scenario.volumeMode ? { volumeMode: scenario.volumeMode } : {}),
  });
  context.state.manifests[names.claim] = toYaml(body);
  await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body });
  let volume: string | undefined;
  if (storage.volumeBindingMode !== "WaitForFirstConsumer") {
    volume = await context.waitUntil(`${names.claim} to bind`, timeouts.claimBound, (o) => {
      if (o.claim?.status?.phase === "Bound") return o.claim.spec?.volumeName ?? "";
      const refused = provisioningRefusal(o);
      if (refused) throw refusal(context, refused);
      return undefined;
    });
  }
  await chooseNodesFor(context, volume);
  return true;
};

/**
 * Chooses the scenario's nodes: those the volume reaches (when it exists
 * already), in one zone for zonal storage (unless the scenario crosses
 * zones). None that fit: not applicable.
 */
export async function chooseNodesFor(context: StepContext, volume: string | undefined): Promise<void> {
  const { kube, storage, scenario, pool } = context;
  let reachableFrom: string[] | undefined;
  if (volume !== undefined) {
    const pv = await kube.core.readPersistentVolume({ name: volume });
    reachableFrom = volumeReach(pv, pool.labels).reachableFrom;
  }
  const { zoneKey } = storage;
  const choice = chooseNodes(pool.nodes, scenario.placement, {
    named: pool.named,
    excluded: pool.excluded,
    ...(pool.pluginsOf ? { pluginsOf: pool.pluginsOf } : {}),
    ...(reachableFrom ? { reachableFrom } : {}),
    ...(zoneKey ? { zoneKey, nodeLabels: pool.labels } : {}),
  });
  if ("notApplicable" in choice) throw new NotApplicable(choice.notApplicable);
  context.state.nodes = choice;
}
