import { describe, expect, it } from "vitest";
import { collectionPath, resources } from "./resources.ts";

describe("collection paths", () => {
  it("follow the core and named API group layouts", () => {
    expect(collectionPath(resources.pods, "ns")).toBe("/api/v1/namespaces/ns/pods");
    expect(collectionPath(resources.events)).toBe("/api/v1/events");
    expect(collectionPath(resources.nodes)).toBe("/api/v1/nodes");
    expect(collectionPath(resources.volumeAttachments)).toBe("/apis/storage.k8s.io/v1/volumeattachments");
  });
});
