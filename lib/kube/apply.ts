import { type KubernetesObject, PatchStrategy } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";

/**
 * Server-side apply of one object as the suite's field manager: applying the
 * same install again (a reused cluster, newer images) converges instead of
 * failing on what exists, and changes nothing that is already so.
 */
export function serverSideApply(kube: Kube, object: KubernetesObject): Promise<KubernetesObject> {
  return kube.objects.patch(
    object,
    undefined,
    undefined,
    "access-mode-conformance",
    true,
    PatchStrategy.ServerSideApply,
  );
}
