import { PatchStrategy, type V1PersistentVolume } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";

/**
 * A merge patch of a PersistentVolume's spec (null removes a field), with
 * labels and annotations to add: how the seeding keeps and re-binds a volume
 * (lib/scenario/steps/seed.ts), and how a clean-up gives a kept volume its
 * reclaim policy back (namespaces.ts).
 */
export async function patchVolume(
  kube: Kube,
  name: string,
  patch: { spec: object },
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Promise<void> {
  await kube.objects.patch(
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, ...metadata },
      ...patch,
    } as V1PersistentVolume,
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
}
