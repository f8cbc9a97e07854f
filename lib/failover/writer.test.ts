import { describe, expect, it } from "vitest";
import { HOSTNAME_LABEL } from "../labels.ts";
import { dataCheck, fencingCheck, lastDurable, parseLog, renderWriter } from "./writer.ts";

// The writer's log as busybox sh wrote it on a kind cluster: the old pod on amc-worker, its
// replacement on amc-worker2 after the volume moved, the old pod still writing (kubelet stopped).
const log = [
  "writer-6d9f-abcde amc-worker 1 1796170000.100000",
  "writer-6d9f-abcde amc-worker 2 1796170000.200000",
  "writer-6d9f-abcde amc-worker 3 1796170000.300000",
  "writer-6d9f-abcde amc-worker 4 1796170000.400000",
  "writer-6d9f-fghij amc-worker2 1 1796170080.000000",
  "writer-6d9f-abcde amc-worker 805 1796170080.050000",
  "writer-6d9f-fghij amc-worker2 2 1796170080.100000",
  "writer-6d9f-abcde amc-wor",
].join("\n");

describe("the writer's log", () => {
  const lines = parseLog(log);

  it("parses whole lines and drops a line cut short", () => {
    expect(lines).toHaveLength(7);
    expect(lines[4]).toMatchObject({
      pod: "writer-6d9f-fghij",
      node: "amc-worker2",
      seq: 1,
      time: 1796170080,
    });
  });

  it("takes the line before the last seen as the last durable one", () => {
    expect(lastDurable(lines.slice(0, 4), "writer-6d9f-abcde")).toBe(3);
    expect(lastDurable([], "writer-6d9f-abcde")).toBe(0);
  });

  it("passes when every durable line is there, fails naming the missing ones", () => {
    expect(dataCheck(lines, "writer-6d9f-abcde", 4).status).toBe("passed");
    const lost = dataCheck(
      lines.filter((l) => l.seq !== 2),
      "writer-6d9f-abcde",
      4,
    );
    expect(lost.status).toBe("failed");
    expect(lost.detail).toContain("data lost: 1 of the 4 lines");
    expect(lost.detail).toContain("sequence 2");
  });

  it("reports an old writer that kept writing after the replacement's first write, with the lines", () => {
    const fencing = fencingCheck(lines, "writer-6d9f-abcde", "writer-6d9f-fghij");
    expect(fencing.status).toBe("not-fenced");
    expect(fencing.lines).toContain("writer-6d9f-abcde amc-worker 805 1796170080.050000");
    const fenced = fencingCheck(
      lines.filter((l) => !(l.pod === "writer-6d9f-abcde" && l.seq === 805)),
      "writer-6d9f-abcde",
      "writer-6d9f-fghij",
    );
    expect(fenced.status).toBe("fenced");
    expect(fencingCheck(lines.slice(0, 4), "writer-6d9f-abcde", "writer-6d9f-fghij").status).toBe(
      "inconclusive",
    );
  });
});

describe("renderWriter", () => {
  it("prefers the node to fail, allows the other, and tolerates the failure taints as asked", () => {
    const deployment = renderWriter({
      name: "writer",
      namespace: "amc-rwo-node-loss-abc123",
      labels: { run: "r" },
      claimName: "rwo-pvc-1",
      image: "busybox",
      preferredHostname: "amc-worker",
      allowedHostnames: ["amc-worker", "amc-worker2"],
      tolerationSeconds: 10,
    });
    const pod = deployment.spec?.template.spec;
    const affinity = pod?.affinity?.nodeAffinity;
    expect(
      affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.[0],
    ).toEqual({
      key: HOSTNAME_LABEL,
      operator: "In",
      values: ["amc-worker", "amc-worker2"],
    });
    expect(
      affinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.preference.matchExpressions?.[0]
        ?.values,
    ).toEqual(["amc-worker"]);
    expect(pod?.tolerations?.map((t) => `${t.key}:${t.tolerationSeconds}`)).toEqual([
      "node.kubernetes.io/unreachable:10",
      "node.kubernetes.io/not-ready:10",
    ]);
    expect(pod?.volumes?.[0]?.persistentVolumeClaim?.claimName).toBe("rwo-pvc-1");
    expect(deployment.spec?.selector.matchLabels).toEqual(
      deployment.spec?.template.metadata?.labels && { "app.kubernetes.io/name": "writer" },
    );
  });

  it("leaves Kubernetes' default tolerations when asked", () => {
    const deployment = renderWriter({
      name: "writer",
      namespace: "ns",
      labels: {},
      claimName: "c",
      image: "busybox",
      preferredHostname: "a",
      allowedHostnames: ["a", "b"],
      tolerationSeconds: "default",
    });
    expect(deployment.spec?.template.spec?.tolerations).toBeUndefined();
  });
});
