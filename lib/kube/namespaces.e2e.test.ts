import type { V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { RECLAIM_POLICY_ANNOTATION } from "../labels.ts";
import { connect } from "./client.ts";
import { createNamespace, deleteNamespaceAndWait } from "./namespaces.ts";
import { resources } from "./resources.ts";
import { patchVolume } from "./volumes.ts";
import { waitFor } from "./wait.ts";

/**
 * A namespace's removal against a real API server and provisioner, with a
 * volume a seeding kept (Retain) and did not give back: the removal gives it
 * its reclaim policy back, so that the provisioner deletes the storage too;
 * a kept volume without the note of its policy only loses its object.
 */

const cluster = inject("cluster");
const run = inject("run");
const storage = inject("storage");
const kube = connect(cluster.kubeconfigPath);
// A class that binds at once: the volume exists without a pod.
const immediate = storage.find((s) => s.volumeBindingMode === "Immediate" && s.probe.provisioned);

/** A namespace with one bound claim of the class, its volume set to Retain (and the note of its policy). */
async function keptVolume(noted: boolean): Promise<{ namespace: string; volume: string }> {
  const namespace = await createNamespace(kube, "amc-kept", run);
  await kube.core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name: "kept" },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: immediate?.className ?? "",
        resources: { requests: { storage: "1Mi" } },
      },
    },
  });
  const volume = await waitFor<V1PersistentVolumeClaim, string>(
    kube,
    resources.persistentVolumeClaims,
    { description: "claim kept to bind", timeoutMs: 60_000, namespace },
    (claims) => claims.get(`${namespace}/kept`)?.spec?.volumeName || undefined,
  );
  await patchVolume(
    kube,
    volume,
    { spec: { persistentVolumeReclaimPolicy: "Retain" } },
    noted ? { annotations: { [RECLAIM_POLICY_ANNOTATION]: "Delete" } } : {},
  );
  return { namespace, volume };
}

describe.runIf(immediate).concurrent("removing a namespace whose volume a seeding kept", () => {
  it("gives the volume its Delete policy back, and its provisioner deletes it", async () => {
    const { namespace, volume } = await keptVolume(true);
    const notes = await deleteNamespaceAndWait(kube, namespace);
    expect(notes).toEqual([
      `volume ${volume} was kept (Retain) by a seeding that did not finish: its reclaim policy Delete was given back, and its provisioner deletes it`,
    ]);
    // Gone through the provisioner (reclaim policy Delete), not deleted by the suite.
    await waitFor(
      kube,
      resources.persistentVolumes,
      { description: `volume ${volume} to be deleted by its provisioner`, timeoutMs: 60_000 },
      (volumes) => (volumes.has(`/${volume}`) ? undefined : true),
    );
  });

  it("deletes only the object of a kept volume without the note (its storage is not the run's to judge)", async () => {
    const { namespace, volume } = await keptVolume(false);
    const notes = await deleteNamespaceAndWait(kube, namespace);
    expect(notes).toEqual([
      `volume ${volume} has reclaim policy Retain: its PersistentVolume was deleted, the storage behind it was not`,
    ]);
  });
});
