import type {
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, type Kube } from "../../lib/kube/client.ts";
import { createNamespace, deleteNamespaceAndWait, waitForServiceAccount } from "../../lib/kube/namespaces.ts";
import { resources } from "../../lib/kube/resources.ts";
import { waitFor } from "../../lib/kube/wait.ts";
import { suiteLabels, ZONE_LABEL } from "../../lib/labels.ts";
import { ATTACH_DETACH_ANNOTATION } from "./objects.ts";
import { localStorageClasses } from "./storage.ts";

/**
 * The local cluster is what later suites trust: this checks, through the API
 * of the running cluster, that it really is what the provider says it is, and
 * that its storage really goes through external-provisioner, the
 * attach/detach controller and external-attacher.
 */

const cluster = inject("cluster");

describe.runIf(cluster.provider === "local")("local cluster", () => {
  let kube: Kube;
  beforeAll(() => {
    kube = connect(cluster.kubeconfigPath);
  });

  it("has three or more Ready nodes in two zones, each managed by the attach/detach controller", async () => {
    const nodes = (await kube.core.listNode()).items;
    const ready = nodes.filter((n) =>
      n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    expect(ready.length).toBeGreaterThanOrEqual(3);
    for (const node of ready) {
      expect(node.metadata?.annotations?.[ATTACH_DETACH_ANNOTATION], node.metadata?.name).toBe("true");
      expect(node.metadata?.labels?.[ZONE_LABEL], node.metadata?.name).toBeTruthy();
    }
    const zones = ready.map((n) => n.metadata?.labels?.[ZONE_LABEL]);
    expect(new Set(zones).size).toBe(2);
    // Two nodes share a zone: cross-node scenarios on zonal storage need that.
    expect(zones.some((zone, i) => zones.indexOf(zone) !== i)).toBe(true);
    expect(cluster.nodes.map((n) => n.name).sort()).toEqual(ready.map((n) => n.metadata?.name).sort());
  });

  it("lists every CSI driver in every node's CSINode", async () => {
    const csiNodes = (await kube.storage.listCSINode()).items;
    for (const node of cluster.nodes) {
      const csiNode = csiNodes.find((c) => c.metadata?.name === node.name);
      expect(csiNode?.spec.drivers.map((d) => d.name).sort(), node.name).toEqual(
        localStorageClasses.map((c) => c.driverName).sort(),
      );
    }
  });

  it("serves the four CSIDrivers with their attachRequired values", async () => {
    const drivers = (await kube.storage.listCSIDriver()).items;
    const attachRequired = Object.fromEntries(drivers.map((d) => [d.metadata?.name, d.spec.attachRequired]));
    expect(attachRequired).toEqual({
      "amc-block.csi.test": true,
      "amc-local.csi.test": false,
      "amc-shared.csi.test": false,
      "amc-zonal.csi.test": true,
    });
  });

  it("serves the four StorageClasses", async () => {
    const classes = (await kube.storage.listStorageClass()).items;
    const summary = Object.fromEntries(
      classes.map((c) => [c.metadata?.name, `${c.provisioner} ${c.volumeBindingMode}`]),
    );
    expect(summary).toEqual({
      "amc-block": "amc-block.csi.test Immediate",
      "amc-local": "amc-local.csi.test WaitForFirstConsumer",
      "amc-shared": "amc-shared.csi.test Immediate",
      "amc-zonal": "amc-zonal.csi.test WaitForFirstConsumer",
    });
  });

  describe("storage through the real CSI sidecars", () => {
    let namespace: string;
    beforeAll(async () => {
      namespace = await createNamespace(kube, "amc-local-it", inject("run"));
      await waitForServiceAccount(kube, namespace);
    });
    afterAll(async () => {
      if (namespace) await deleteNamespaceAndWait(kube, namespace);
    });

    const node = () => cluster.nodes[0]?.name ?? "";

    async function claimAndConsumer(className: string): Promise<{ pvc: string; pod: string }> {
      const pvc = `${className}-claim`;
      const pod = `${className}-consumer`;
      await kube.core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: pvc, labels: { ...suiteLabels } },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: className,
            resources: { requests: { storage: "1Gi" } },
          },
        },
      });
      await kube.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: pod, labels: { ...suiteLabels } },
          spec: {
            nodeSelector: { "kubernetes.io/hostname": node() },
            containers: [
              {
                name: "app",
                image: "alpine",
                command: ["sh", "-c", "sleep 3600"],
                volumeMounts: [{ name: "data", mountPath: "/data" }],
              },
            ],
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: pvc } }],
          },
        },
      });
      return { pvc, pod };
    }

    async function boundVolume(pvc: string): Promise<string> {
      return waitFor<V1PersistentVolumeClaim, string>(
        kube,
        resources.persistentVolumeClaims,
        {
          description: `PVC ${namespace}/${pvc} Bound`,
          timeoutMs: 60_000,
          namespace,
          fieldSelector: `metadata.name=${pvc}`,
        },
        (claims) => {
          const claim = [...claims.values()][0];
          return claim?.status?.phase === "Bound" ? claim.spec?.volumeName : undefined;
        },
      );
    }

    it.each(localStorageClasses.map((c) => c.className))(
      "binds a claim on %s through external-provisioner",
      async (className) => {
        const { pvc, pod } = await claimAndConsumer(className);
        const volumeName = await boundVolume(pvc);
        const pv = await kube.core.readPersistentVolume({ name: volumeName });
        expect(pv.spec?.csi?.driver).toBe(`${className}.csi.test`);
        expect(pv.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"]).toBe(`${className}.csi.test`);
        const storageClass = localStorageClasses.find((c) => c.className === className);
        const topologyKey = storageClass?.topologyKey;
        const pinnedTo = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms
          .flatMap((t) => t.matchExpressions ?? [])
          .find((e) => e.key === topologyKey)?.values;
        if (topologyKey) {
          // Node-local: created on the node the scheduler chose for the first consumer; zonal: in its zone.
          const scheduled = await waitFor<V1Pod, string>(
            kube,
            resources.pods,
            {
              description: `pod ${pod} scheduled`,
              timeoutMs: 30_000,
              namespace,
              fieldSelector: `metadata.name=${pod}`,
            },
            (pods) => [...pods.values()][0]?.spec?.nodeName || undefined,
          );
          const zone = cluster.nodes.find((n) => n.name === scheduled)?.zone;
          expect(pinnedTo).toEqual([storageClass?.zonal ? zone : scheduled]);
        } else {
          expect(pv.spec?.nodeAffinity).toBeUndefined();
        }
      },
    );

    it("attaches the amc-block volume to its pod's node through the attach/detach controller and external-attacher", async () => {
      const volumeName = await boundVolume("amc-block-claim");
      const attachment = await waitFor<V1VolumeAttachment, V1VolumeAttachment>(
        kube,
        resources.volumeAttachments,
        { description: `VolumeAttachment of ${volumeName} attached`, timeoutMs: 60_000 },
        (attachments) =>
          [...attachments.values()].find(
            (va) => va.spec.source.persistentVolumeName === volumeName && va.status?.attached === true,
          ),
      );
      expect(attachment.spec.attacher).toBe("amc-block.csi.test");
      expect(attachment.spec.nodeName).toBe(node());
    });

    it("creates no VolumeAttachment for the classes whose CSIDriver says attachRequired: false", async () => {
      const volumes = await Promise.all(["amc-local-claim", "amc-shared-claim"].map(boundVolume));
      const attachments = (await kube.storage.listVolumeAttachment()).items;
      const attached = attachments.map((va) => va.spec.source.persistentVolumeName);
      for (const volume of volumes) expect(attached).not.toContain(volume);
      const pvs = await Promise.all(volumes.map((name) => kube.core.readPersistentVolume({ name })));
      expect(pvs.map((pv: V1PersistentVolume) => pv.spec?.csi?.driver)).toEqual([
        "amc-local.csi.test",
        "amc-shared.csi.test",
      ]);
    });
  });
});
