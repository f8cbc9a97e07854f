import type { CoreV1Event } from "@kubernetes/client-node";
import { execInPod } from "../../kube/exec.ts";
import { patchVolume } from "../../kube/volumes.ts";
import { RECLAIM_POLICY_ANNOTATION } from "../../labels.ts";
import { hostnameOf, renderClaim, renderPod, toYaml } from "../../manifests.ts";
import { provisioningRefusal } from "../classify.ts";
import { nodeFor } from "../record.ts";
import { claimModes } from "../scenarios.ts";
import { runningOn } from "./admitted.ts";
import { chooseNodesFor } from "./claim.ts";
import { NotApplicable, type StepCode, type StepContext } from "./context.ts";
import { requireWritten } from "./data-check.ts";
import { createPodObject } from "./pod.ts";

/** The pod that writes the known data before the volume is re-bound read-only. */
export const SEED_POD = "pod-seed";

/**
 * Gives the scenario's ReadOnlyMany claim a volume that holds known data, on
 * any class: a ReadOnlyMany claim cannot be written through (that is what it
 * is for), and not every class can clone or restore a snapshot. So:
 *
 * 1. a ReadWriteOnce claim of the class (the scenario's claim name, for now)
 *    and a writer pod on the first node, which writes the token (real
 *    kubelets only: simulated nodes mount nothing);
 * 2. the volume's reclaim policy set to Retain; the writer deleted and its
 *    attachment gone, then the claim: the volume is Released, its data kept;
 * 3. the volume re-bound: its access modes set to the scenario's
 *    (ReadOnlyMany), its claimRef to a new claim of the same name that
 *    names it (spec.volumeName); once bound, its reclaim policy restored.
 *
 * The PersistentVolume is the run's (provisioned for its claim) and carries
 * the run's labels from step 2. If seeding fails half-way, the reclaim
 * policy is restored and the volume handed back to the claim it was made
 * for: Released, its provisioner deletes it and the storage behind it.
 */
export const seed: StepCode<"seed"> = async (context) => {
  const { kube, namespace, names, storage, state, timeouts, labels } = context;
  const source = renderClaim({
    name: names.claim,
    namespace,
    labels,
    accessMode: "ReadWriteOnce",
    storageClassName: storage.className,
  });
  state.manifests[`${names.claim} (seed: ReadWriteOnce)`] = toYaml(source);
  await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body: source });
  if (storage.volumeBindingMode === "WaitForFirstConsumer") await chooseNodesFor(context, undefined);
  else {
    const bound = await context.waitUntil(`${names.claim} to bind`, timeouts.claimBound, (o) => {
      if (o.claim?.status?.phase === "Bound") return o.claim.spec?.volumeName ?? "";
      const refused = provisioningRefusal(o);
      if (refused) throw seedRefused(context, refused);
      return undefined;
    });
    await chooseNodesFor(context, bound);
  }

  const first = nodeFor(state.nodes, "first");
  const writer = renderPod({
    name: SEED_POD,
    namespace,
    labels,
    claimName: names.claim,
    image: context.run.image,
    node: first,
    ...hostnameOf(first, context.pool.labels),
  });
  state.manifests[SEED_POD] = toYaml(writer);
  await context.serviceAccount;
  await createPodObject(kube, namespace, writer);
  const { volume, seedClaimUid } = await context.waitUntil(
    `${SEED_POD} to be admitted`,
    timeouts.admitted,
    (o) => {
      const volumeName = o.claim?.spec?.volumeName;
      if (runningOn(o, SEED_POD) && volumeName) {
        return { volume: volumeName, seedClaimUid: o.claim?.metadata?.uid ?? "" };
      }
      const refused = provisioningRefusal(o);
      if (refused) throw seedRefused(context, refused);
      return undefined;
    },
  );
  if (context.cluster.fidelity === "full") {
    const write = ["sh", "-c", `echo ${context.token} > /data/amc-token && sync`];
    requireWritten(await execInPod(kube, namespace, SEED_POD, "app", write, timeouts.exec), SEED_POD);
  }

  const pv = await kube.core.readPersistentVolume({ name: volume });
  const policy = pv.spec?.persistentVolumeReclaimPolicy ?? "Delete";
  // The policy it had goes with it: a run that dies before it restores it leaves that to the clean-up.
  await patchVolume(
    kube,
    volume,
    { spec: { persistentVolumeReclaimPolicy: "Retain" } },
    {
      labels,
      annotations: { [RECLAIM_POLICY_ANNOTATION]: policy },
    },
  );
  let failure: unknown;
  try {
    await kube.core.deleteNamespacedPod({ name: SEED_POD, namespace });
    // The writer's attachment goes with it: the read-only pods attach the volume afresh, in its new modes.
    await context.waitUntil(`${SEED_POD} to be gone and its volume detached`, timeouts.handover, (o) =>
      !o.pods.has(SEED_POD) && o.attachments.length === 0 ? true : undefined,
    );
    await kube.core.deleteNamespacedPersistentVolumeClaim({ name: names.claim, namespace });
    await context.waitUntil(`the seed claim ${names.claim} to be gone`, timeouts.admitted, (o) =>
      o.claim ? undefined : true,
    );
    await patchVolume(kube, volume, {
      spec: {
        accessModes: [...claimModes(context.scenario)],
        // A claimRef without uid reserves the volume for the claim of that name (a pre-bound volume).
        claimRef: {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          namespace,
          name: names.claim,
          uid: null,
          resourceVersion: null,
        },
      },
    });
    const rebound = renderClaim({
      name: names.claim,
      namespace,
      labels,
      accessMode: claimModes(context.scenario),
      storageClassName: storage.className,
      volumeName: volume,
    });
    state.manifests[names.claim] = toYaml(rebound);
    await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body: rebound });
    await context.waitUntil(`${names.claim} to bind to ${volume}`, timeouts.claimBound, (o) =>
      o.claim?.status?.phase === "Bound" ? true : undefined,
    );
  } catch (error) {
    failure = error;
  }
  // Its reclaim policy back, whatever happened: a Retained volume would outlive the run. One that
  // was not re-bound is handed back to the claim it was made for (gone, or going with the
  // namespace): Released, its provisioner deletes it and the storage behind it.
  const back =
    failure === undefined
      ? { persistentVolumeReclaimPolicy: policy }
      : {
          persistentVolumeReclaimPolicy: policy,
          claimRef: {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            namespace,
            name: names.claim,
            uid: seedClaimUid,
            resourceVersion: null,
          },
        };
  try {
    await patchVolume(kube, volume, { spec: back });
  } catch (error) {
    throw failure ?? error;
  }
  if (failure !== undefined) throw failure;
  return true;
};

/** The class refused the ReadWriteOnce claim that was to hold the data. */
function seedRefused(context: StepContext, event: CoreV1Event): NotApplicable {
  return new NotApplicable(
    `${context.storage.className} cannot provision the ReadWriteOnce claim that seeds the volume: ${event.message ?? ""}`,
  );
}
