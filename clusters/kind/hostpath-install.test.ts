import { readFile } from "node:fs/promises";
import type { V1DaemonSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { findUpstreamArchive } from "../../lib/upstream-src.ts";
import { sourceArchives } from "../binaries/pins.ts";
import { renderAttachable, renderDistributed, upstreamDistributedFiles } from "./hostpath-install.ts";

const images = {
  hostpath: "amc.local/hostpathplugin:v1.18.0-test",
  nodeDriverRegistrar: "amc.local/csi-node-driver-registrar:v2.17.0-test",
  csiProvisioner: "amc.local/csi-provisioner:v6.3.0-test",
  csiAttacher: "amc.local/csi-attacher:v4.13.0-test",
};
const archive = findUpstreamArchive(sourceArchives.csiHostpath.file);

// Upstream's own manifests, read from the release archive (AMC_UPSTREAM_SRC): never copied here.
describe.skipIf(!archive)(
  `upstream's distributed deployment, from ${sourceArchives.csiHostpath.file}`,
  () => {
    const rbac = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: csi-provisioner
  namespace: default
`;

    it("changes the images and leaves out the livenessprobe sidecar and the probe it serves, nothing else of the plugin", async () => {
      const upstream = await upstreamDistributedFiles();
      const objects = renderDistributed(upstream, rbac, images);
      expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
        "ServiceAccount/csi-provisioner",
        "CSIDriver/hostpath.csi.k8s.io",
        "DaemonSet/csi-hostpathplugin",
        "StorageClass/csi-hostpath-fast",
        "StorageClass/csi-hostpath-slow",
      ]);
      const daemonSet = objects.find((o) => o.kind === "DaemonSet") as V1DaemonSet;
      expect(daemonSet.metadata?.namespace).toBe("default");
      const containers = daemonSet.spec?.template.spec?.containers ?? [];
      expect(containers.map((c) => [c.name, c.image])).toEqual([
        ["csi-provisioner", images.csiProvisioner],
        ["node-driver-registrar", images.nodeDriverRegistrar],
        ["hostpath", images.hostpath],
      ]);
      const provisioner = containers.find((c) => c.name === "csi-provisioner");
      expect(provisioner?.args).toContain("--node-deployment=true");
      expect(provisioner?.args).toContain("--strict-topology=true");
      expect(provisioner?.args).not.toContain("--enable-capacity");
      expect(containers.find((c) => c.name === "hostpath")?.livenessProbe).toBeUndefined();
      expect(containers.find((c) => c.name === "node-driver-registrar")?.livenessProbe).toBeDefined();
      const csiDriver = objects.find((o) => o.kind === "CSIDriver") as { spec: Record<string, unknown> };
      expect(csiDriver.spec.attachRequired).toBe(false);
      expect(csiDriver.spec.storageCapacity).toBeUndefined();
      // The labels deploy.sh's kustomization adds to the RBAC file.
      expect(objects[0]?.metadata?.labels?.["app.kubernetes.io/part-of"]).toBe("csi-driver-host-path");
    });
  },
);

describe("the attachable configuration (manifests/kind/hostpath-attach.yaml)", () => {
  it("runs one plugin pod with attach on and topology off, pinned to the node it is given", async () => {
    const objects = await renderAttachable(images, "amc-worker");
    const csiDriver = objects.find((o) => o.kind === "CSIDriver") as { spec: { attachRequired: boolean } };
    expect(csiDriver.spec.attachRequired).toBe(true);
    const deployment = objects.find((o) => o.kind === "Deployment") as V1DaemonSet;
    const spec = deployment.spec?.template.spec;
    expect(spec?.nodeSelector).toEqual({ "kubernetes.io/hostname": "amc-worker" });
    const hostpath = spec?.containers.find((c) => c.name === "hostpath");
    expect(hostpath?.args).toEqual(
      expect.arrayContaining([
        "--drivername=attach.hostpath.csi.k8s.io",
        "--enable-attach=true",
        "--enable-topology=false",
      ]),
    );
    expect(spec?.containers.map((c) => c.image)).toEqual([
      images.hostpath,
      images.nodeDriverRegistrar,
      images.csiProvisioner,
      images.csiAttacher,
    ]);
    const text = JSON.stringify(objects);
    expect(text).not.toContain("{{");
    expect(
      await readFile(new URL("../../manifests/kind/hostpath-attach.yaml", import.meta.url), "utf8"),
    ).toContain("{{node}}");
  });
});
