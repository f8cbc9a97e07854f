import { execa } from "execa";
import { imageId } from "./docker.ts";

/**
 * Which of the images a kind cluster needs each node lacks, by image ID: the
 * nodes' containerd against the local Docker. kind makes the same check
 * before `kind load`, but through crictl, which the air-gapped node image
 * does not have: without this every reuse of a cluster re-sent every image
 * (about 20 s). A node whose containerd holds the same reference with another
 * ID (a rebuilt image) lacks it.
 */

/** Per node, the config digest (Docker's image ID) of each reference its containerd holds, of those asked for. */
async function nodeImageIds(node: string, refs: readonly string[]): Promise<Map<string, string>> {
  // One exec per node: each reference's manifest, whose config digest is the image ID.
  const script = `for ref in "$@"; do
  digest=$(ctr -n k8s.io images ls "name==$ref" | awk 'NR==2 {print $3}')
  [ -n "$digest" ] && printf '%s\\t%s\\n' "$ref" "$(ctr -n k8s.io content get "$digest" | tr -d '\\n')"
done; true`;
  const result = await execa("docker", ["exec", node, "sh", "-c", script, "sh", ...refs], { reject: false });
  const ids = new Map<string, string>();
  if (result.exitCode !== 0) return ids; // unknown: the image is loaded
  for (const line of result.stdout.split("\n").filter(Boolean)) {
    const [ref, manifest] = line.split("\t");
    const digest = configDigest(manifest ?? "");
    if (ref && digest) ids.set(ref, digest);
  }
  return ids;
}

/** The config digest of a single-platform image manifest; undefined for an index or anything else. */
export function configDigest(manifestJson: string): string | undefined {
  try {
    const digest = (JSON.parse(manifestJson) as { config?: { digest?: unknown } }).config?.digest;
    return typeof digest === "string" ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** For each image, the nodes that lack it (by ID); images every node has are left out. */
export async function imagesToLoad(
  nodes: readonly string[],
  images: readonly string[],
): Promise<Map<string, string[]>> {
  const [wanted, held] = await Promise.all([
    Promise.all(images.map(async (image) => [image, await imageId(image)] as const)),
    Promise.all(nodes.map(async (node) => [node, await nodeImageIds(node, images)] as const)),
  ]);
  const missing = new Map<string, string[]>();
  for (const [image, id] of wanted) {
    const lacking = held.filter(([, ids]) => ids.get(image) !== id).map(([node]) => node);
    if (lacking.length > 0) missing.set(image, lacking);
  }
  return missing;
}

/** The loads to make: images grouped by the exact set of nodes that lack them (usually one group). */
export function loadGroups(
  missing: ReadonlyMap<string, readonly string[]>,
): { nodes: string[]; images: string[] }[] {
  const groups = new Map<string, { nodes: string[]; images: string[] }>();
  for (const [image, nodes] of missing) {
    const key = [...nodes].sort().join(",");
    const group = groups.get(key) ?? { nodes: [...nodes].sort(), images: [] };
    group.images.push(image);
    groups.set(key, group);
  }
  return [...groups.values()];
}
