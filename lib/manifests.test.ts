import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hostnameOf, renderClaim, renderPod, renderPriorityClass } from "./manifests.ts";

const article = (file: string) =>
  parse(readFileSync(new URL(`../manifests/${file}`, import.meta.url), "utf8"));

describe("the article's manifests, rendered", () => {
  it("keep the claim's 1Gi request and set the mode, class, name and labels", () => {
    const claim = renderClaim({
      name: "rwop-pvc-1",
      namespace: "ns",
      labels: { run: "r" },
      accessMode: "ReadWriteOncePod",
      storageClassName: "amc-block",
    });
    expect(claim).toEqual({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "rwop-pvc-1", namespace: "ns", labels: { run: "r" } },
      spec: {
        accessModes: ["ReadWriteOncePod"],
        resources: { requests: { storage: "1Gi" } },
        storageClassName: "amc-block",
      },
    });
  });

  it("keep the pod's data volume at /data and sleep 3600 (ending at SIGTERM), and place it with a nodeSelector", () => {
    const pod = renderPod({
      name: "pod-b",
      namespace: "ns",
      labels: {},
      claimName: "c",
      image: "busybox",
      node: "n1",
    });
    const template = article("pod.yaml");
    expect(pod.spec?.containers[0]?.command).toEqual(template.spec.containers[0].command);
    expect(pod.spec?.containers[0]?.volumeMounts).toEqual([{ mountPath: "/data", name: "data" }]);
    expect(pod.spec?.containers[0]?.image).toBe("busybox");
    expect(pod.spec?.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "c" } }]);
    expect(pod.spec?.nodeSelector).toEqual({ "kubernetes.io/hostname": "n1" });
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(1);
  });

  it("select the node by its kubernetes.io/hostname label where the cluster set it apart from the name", () => {
    // A cloud provider may name the node apart from its host, which the kubelet puts in the label.
    const labels = { "i-0abc": { "kubernetes.io/hostname": "ip-10-0-1-2.ec2.internal" }, n2: {} };
    const place = (node: string) =>
      renderPod({
        name: "p",
        namespace: "ns",
        labels: {},
        claimName: "c",
        image: "i",
        node,
        ...hostnameOf(node, labels),
      }).spec?.nodeSelector;
    expect(place("i-0abc")).toEqual({ "kubernetes.io/hostname": "ip-10-0-1-2.ec2.internal" });
    expect(place("n2")).toEqual({ "kubernetes.io/hostname": "n2" });
  });

  it("bypass the scheduler with spec.nodeName when asked, with a priority class when given", () => {
    const pod = renderPod({
      name: "pod-b",
      namespace: "ns",
      labels: {},
      claimName: "c",
      image: "alpine",
      node: "n1",
      bypassScheduler: true,
      priorityClassName: "high",
    });
    expect(pod.spec?.nodeName).toBe("n1");
    expect(pod.spec?.nodeSelector).toBeUndefined();
    expect(pod.spec?.priorityClassName).toBe("high");
  });

  it("never change the templates they start from", () => {
    renderPod({ name: "x", namespace: "ns", labels: {}, claimName: "c", image: "i", node: "n" });
    expect(
      renderPod({ name: "y", namespace: "ns", labels: {}, claimName: "d", image: "alpine", node: "m" }).spec
        ?.nodeSelector,
    ).toEqual({
      "kubernetes.io/hostname": "m",
    });
  });

  it("label and annotate PriorityClasses like every other object", () => {
    expect(renderPriorityClass("p", 100, { run: "r" }, { owner: "o" }).metadata).toEqual({
      name: "p",
      labels: { run: "r" },
      annotations: { owner: "o" },
    });
  });
});
