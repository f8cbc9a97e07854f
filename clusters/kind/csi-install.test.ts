import { describe, expect, it } from "vitest";
import { localStorageClasses } from "../local/storage.ts";
import { installDigest, renderCsiObjects } from "./csi-install.ts";

const images = {
  csiDriver: "amc.local/csi-driver:dev-fc80855fe926",
  csiProvisioner: "amc.local/csi-provisioner:v6.3.0-21b704ef6e59",
  csiAttacher: "amc.local/csi-attacher:v4.13.0-6ea26ada9de9",
};

describe("the kind CSI install's digest (applied again only when it changed)", () => {
  it("is the same for the same classes and images", async () => {
    const once = installDigest(await renderCsiObjects(localStorageClasses, images));
    const again = installDigest(await renderCsiObjects(localStorageClasses, images));
    expect(again).toBe(once);
  });

  it("changes with a rebuilt driver image and with the classes", async () => {
    const digest = installDigest(await renderCsiObjects(localStorageClasses, images));
    const rebuilt = { ...images, csiDriver: "amc.local/csi-driver:dev-c556601e79a5" };
    expect(installDigest(await renderCsiObjects(localStorageClasses, rebuilt))).not.toBe(digest);
    expect(installDigest(await renderCsiObjects(localStorageClasses.slice(0, 2), images))).not.toBe(digest);
  });

  it("starts with the namespace that carries it", async () => {
    const [first] = await renderCsiObjects(localStorageClasses, images);
    expect(first?.kind).toBe("Namespace");
  });
});
