import { describe, expect, it } from "vitest";
import { configDigest, loadGroups } from "./image-load.ts";

describe("which images a kind node lacks", () => {
  it("reads the image ID from the manifest a node's containerd holds (what `kind load` imported)", () => {
    // As `ctr -n k8s.io content get` printed it on a kind node for amc.local/busybox.
    const manifest =
      '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:60642d124dbb570188e8a81c5cb729b1c7f2609061eb62626f1f6777fd5250ac","size":1805},"layers":[]}';
    expect(configDigest(manifest)).toBe(
      "sha256:60642d124dbb570188e8a81c5cb729b1c7f2609061eb62626f1f6777fd5250ac",
    );
  });

  it("knows no ID for an index or for output it cannot read, so the image is loaded", () => {
    expect(configDigest('{"schemaVersion":2,"manifests":[]}')).toBeUndefined();
    expect(configDigest("ctr: not found")).toBeUndefined();
  });

  it("loads each set of images once into exactly the nodes that lack them", () => {
    const missing = new Map([
      ["a:1", ["w2", "w1"]],
      ["b:1", ["w1", "w2"]],
      ["c:1", ["cp"]],
    ]);
    expect(loadGroups(missing)).toEqual([
      { nodes: ["w1", "w2"], images: ["a:1", "b:1"] },
      { nodes: ["cp"], images: ["c:1"] },
    ]);
    expect(loadGroups(new Map())).toEqual([]);
  });
});
