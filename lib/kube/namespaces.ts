import { randomBytes } from "node:crypto";
import type { V1Namespace, V1PersistentVolume, V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import { RECLAIM_POLICY_ANNOTATION } from "../labels.ts";
import { type RunContext, runAnnotations, runLabels } from "../run.ts";
import type { Kube } from "./client.ts";
import { ignoreNotFound } from "./errors.ts";
import { resources } from "./resources.ts";
import { patchVolume } from "./volumes.ts";
import { waitFor } from "./wait.ts";

/**
 * A namespace of the run's own: the suite's and the run's labels, so that
 * the run (or a later one, if this one crashes) finds and removes it, and the
 * owner annotations that tell a crashed run's namespace from a live one's.
 */
export async function createNamespace(
  kube: Kube,
  prefix: string,
  run: Pick<RunContext, "runId" | "owner" | "startedAt">,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kube.core.createNamespace({
    body: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { ...runLabels(run.runId), ...labels }, annotations: runAnnotations(run) },
    },
  });
  return name;
}

/**
 * Pods are refused until the namespace's "default" ServiceAccount exists
 * ("error looking up service account"); the controller creates it shortly after the namespace.
 */
export async function waitForServiceAccount(
  kube: Kube,
  namespace: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor<V1ServiceAccount, true>(
    kube,
    resources.serviceAccounts,
    {
      description: `ServiceAccount default in ${namespace}`,
      timeoutMs,
      namespace,
      fieldSelector: "metadata.name=default",
    },
    (accounts) => (accounts.size > 0 ? true : undefined),
  );
}

/** Gives a kept volume its Delete policy back; false when the run may not patch volumes (403) or it is gone. */
async function restoreDeletePolicy(kube: Kube, volume: string): Promise<boolean> {
  return patchVolume(kube, volume, { spec: { persistentVolumeReclaimPolicy: "Delete" } }).then(
    () => true,
    (error: { code?: number }) => {
      if (error.code === 403 || error.code === 404) return false;
      throw error;
    },
  );
}

/**
 * Empties the namespace (pods without grace: they only sleep; then claims),
 * deletes it, and waits until it is gone and the PersistentVolumes bound to
 * its claims are gone too (reclaim policy Delete: the provisioner removes
 * them). Emptying it first matters: the namespace controller backs off
 * exponentially while pods and protected claims remain, which costs ten
 * seconds and more per namespace. Pods a controller owns are the exception.
 *
 * A volume with another reclaim policy stays Released: when it was
 * provisioned for the claim, its PersistentVolume object is deleted (the
 * storage behind it is not); a pre-existing one is left as it is. Both are
 * returned as notes.
 */
export async function deleteNamespaceAndWait(
  kube: Kube,
  name: string,
  timeoutMs = 180_000,
  /** The namespace holds a Deployment or StatefulSet (whether or not it has a pod at this moment). */
  options: { controllers?: boolean } = {},
): Promise<string[]> {
  // A controller's pods (the node-failure scenarios' writer, the workloads family's Deployments and
  // StatefulSets) would come back as fast as they are deleted: then the namespace goes first, and
  // nothing can be created in it any more. A controller caught between two pods has none to show.
  const pods = await kube.core.listNamespacedPod({ namespace: name }).catch(() => undefined);
  const controlled =
    options.controllers ||
    pods?.items.some((pod) => pod.metadata?.ownerReferences?.some((o) => o.controller));
  if (controlled) await kube.core.deleteNamespace({ name }).catch(ignoreNotFound);
  await kube.core
    .deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })
    .catch(ignoreNotFound);
  await waitFor<V1Pod, true>(
    kube,
    resources.pods,
    { description: `the pods of namespace ${name} to be gone`, timeoutMs, namespace: name },
    (pods) => (pods.size === 0 ? true : undefined),
  );
  await kube.core.deleteCollectionNamespacedPersistentVolumeClaim({ namespace: name }).catch(ignoreNotFound);
  await kube.core.deleteNamespace({ name }).catch(ignoreNotFound);
  // Side by side: kube-controller-manager starts deleting a namespace only 5 s after it was asked
  // (its namespace deletion grace period), while the volumes are detached and deleted meanwhile.
  const [, kept] = await Promise.all([
    waitFor<V1Namespace, true>(
      kube,
      resources.namespaces,
      { description: `namespace ${name} to be gone`, timeoutMs, fieldSelector: `metadata.name=${name}` },
      (namespaces) => (namespaces.size === 0 ? true : undefined),
    ),
    waitFor<V1PersistentVolume, V1PersistentVolume[]>(
      kube,
      resources.persistentVolumes,
      { description: `the persistent volumes of namespace ${name} to be gone`, timeoutMs },
      (volumes) => {
        const left = [...volumes.values()].filter((pv) => pv.spec?.claimRef?.namespace === name);
        const kept = left.filter(
          (pv) => pv.spec?.persistentVolumeReclaimPolicy !== "Delete" && pv.status?.phase !== "Bound",
        );
        return kept.length === left.length ? kept : undefined;
      },
    ),
  ]);
  const notes: string[] = [];
  for (const pv of kept) {
    const volume = pv.metadata?.name ?? "";
    const policy = pv.spec?.persistentVolumeReclaimPolicy;
    // A seeded volume whose run died before it gave the volume its policy back: given back here, so
    // that its provisioner deletes the storage too (deleting the object alone would leave the storage).
    const original = pv.metadata?.annotations?.[RECLAIM_POLICY_ANNOTATION];
    if (original === "Delete" && (await restoreDeletePolicy(kube, volume))) {
      notes.push(
        `volume ${volume} was kept (Retain) by a seeding that did not finish: its reclaim policy Delete was given back, and its provisioner deletes it`,
      );
      continue;
    }
    if (pv.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"]) {
      // Deleting PersistentVolumes is a permission a run on someone else's cluster may lack: say so, go on.
      const forbidden = await kube.core.deletePersistentVolume({ name: volume }).then(
        () => false,
        (error: { code?: number }) => {
          if (error.code === 403) return true;
          ignoreNotFound(error);
          return false;
        },
      );
      notes.push(
        forbidden
          ? `volume ${volume} has reclaim policy ${policy} and the run may not delete PersistentVolumes: it is left Released (kubectl delete pv ${volume} removes it)`
          : `volume ${volume} has reclaim policy ${policy}: its PersistentVolume was deleted, the storage behind it was not`,
      );
    } else {
      notes.push(`volume ${volume} existed before the run (reclaim policy ${policy}); it is left Released`);
    }
  }
  return notes;
}

/**
 * Removes several namespaces side by side and returns all their notes; when
 * one removal fails, the others still finish, and the error names every
 * namespace that could not be removed.
 */
export async function removeNamespaces(
  namespaces: readonly string[],
  remove: (namespace: string) => Promise<string[]>,
): Promise<string[]> {
  const settled = await Promise.allSettled(namespaces.map(remove));
  const failed = settled.flatMap((s, i) =>
    s.status === "rejected" ? [`${namespaces[i]}: ${(s.reason as Error)?.message ?? String(s.reason)}`] : [],
  );
  if (failed.length > 0) throw new Error(failed.join("; "));
  return settled.flatMap((s) => (s.status === "fulfilled" ? s.value : []));
}

/**
 * The uid of the cluster's kube-system namespace, which lives as long as the
 * cluster: what tells that two runs were on one cluster (amc report --merge).
 * Read with the namespace list the runs already may do.
 */
export async function clusterUid(kube: Kube): Promise<string | undefined> {
  const found = await kube.core
    .listNamespace({ fieldSelector: "metadata.name=kube-system" })
    .catch(() => undefined);
  return found?.items[0]?.metadata?.uid;
}
