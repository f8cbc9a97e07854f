import { describe, expect, it } from "vitest";
import type { NodeFaults } from "../cluster/contract.ts";
import { EventLog } from "../scenario/evidence.ts";
import { failoverScenarios } from "../scenario/scenarios.ts";
import type { StorageProfile } from "../scenario/types.ts";
import type { FaultInput } from "./fault-input.ts";
import { failoverRecord } from "./record.ts";
import { FailoverTimeline } from "./timeline.ts";
import { parseLog } from "./writer.ts";
import type { Writer } from "./writers.ts";

const faultAt = Date.parse("2026-12-01T22:50:00.000Z");
const block: StorageProfile = {
  className: "amc-block",
  provisioner: "amc-block.csi.test",
  volumeBindingMode: "WaitForFirstConsumer",
  csiDriver: { name: "amc-block.csi.test", attachRequired: true },
  family: "attachable",
  familyReason: "CSIDriver amc-block.csi.test requires attach",
  probe: {
    provisioned: true,
    volumeSource: "csi",
    nodeAffinity: {},
    reachableFrom: ["amc-dev-worker", "amc-dev-worker2"],
  },
};
const outOfService = failoverScenarios.find((s) => s.id === "rwo-node-out-of-service");
const faults: NodeFaults = {
  modes: ["kubelet-stopped", "powered-off"],
  describe: () => "systemctl stop kubelet inside the node's container",
  fail: async () => {},
  restore: async () => {},
};

function input(mode: FaultInput["mode"]): FaultInput {
  return {
    kube: {} as FaultInput["kube"],
    cluster: {
      provider: "kind",
      name: "amc-dev",
      kubeconfigPath: "",
      kubernetesVersion: "v1.36.3",
      fidelity: "full",
      nodes: [],
    },
    labels: {},
    run: {
      runId: "r",
      startedAt: "",
      owner: { host: "h", pid: 1, startTicks: "1" },
      reportDir: "",
      image: "busybox",
    },
    timeouts: {} as FaultInput["timeouts"],
    faults,
    mode,
    settings: { budgetMs: 120_000, writerTolerationSeconds: 10, modes: [], allowNodeFaults: false },
    nodes: { failed: "amc-dev-worker", other: "amc-dev-worker2" },
    cases: [],
  };
}

/** A writer whose replacement wrote on the other node; `log` is what the replacement read. */
function recovered(log: string): Writer {
  const timeline = new FailoverTimeline(faultAt, {
    node: "amc-dev-worker",
    oldPod: "writer-a",
    volume: "pvc-1",
  });
  timeline.replacement = "writer-b";
  timeline.replacementNode = "amc-dev-worker2";
  timeline.note("fault-injected", "kubelet stopped", new Date(faultAt));
  timeline.note("replacement-first-write", "first line", new Date(faultAt + 66_400), "volume");
  return {
    case: { scenario: outOfService as NonNullable<typeof outOfService>, storage: block },
    label: "rwo-node-out-of-service@amc-block",
    labels: {},
    namespace: "amc-rwo-node-out-of-service-1",
    claim: "rwo-pvc-1",
    name: "writer",
    manifests: {},
    events: new EventLog(),
    objects: [],
    oldPod: "writer-a",
    volume: "pvc-1",
    durable: 3,
    timeline,
    recovered: true,
    lines: parseLog(log),
  };
}

const before = [
  "writer-a amc-dev-worker 1 1796165400.1",
  "writer-a amc-dev-worker 2 1796165400.2",
  "writer-a amc-dev-worker 3 1796165400.3",
  "writer-a amc-dev-worker 4 1796165400.4",
];
const after = [
  "writer-b amc-dev-worker2 1 1796165466.4",
  "writer-a amc-dev-worker 600 1796165466.5",
  "writer-b amc-dev-worker2 2 1796165466.6",
];

const record = (writer: Writer, mode: FaultInput["mode"] = "kubelet-stopped") =>
  failoverRecord({
    writer,
    input: input(mode),
    parameters: {},
    failure: undefined,
    startedAt: new Date(faultAt),
    finishedAt: new Date(faultAt + 90_000),
  });

describe("a node-failure record", () => {
  it("conforms and is a finding when the old node kept writing after the volume moved", () => {
    const r = record(recovered([...before, ...after].join("\n")));
    expect(r.verdict).toBe("finding");
    expect(r.reason).toMatch(
      /^not fenced: the old node kept writing after the volume moved: 1 line\(s\) of writer-a/,
    );
    expect(r.failover?.fencing.lines).toContain("writer-a amc-dev-worker 600 1796165466.5");
    expect(r.failover?.totalMs).toBe(66_400);
    expect(r.failover?.data.status).toBe("passed");
  });

  it("deviates when a line made durable before the fault is lost, whatever the fencing", () => {
    const r = record(recovered([before[0], before[2], before[3], ...after].join("\n")));
    expect(r.verdict).toBe("deviates");
    expect(r.reason).toMatch(/data lost: 1 of the 3 lines of writer-a/);
  });

  it("conforms when the old node stopped writing; fencing is not applicable when it was powered off", () => {
    const fenced = record(recovered([...before, after[0], after[2]].join("\n")));
    expect(fenced.verdict).toBe("conforms");
    expect(fenced.failover?.fencing.status).toBe("fenced");
    const off = record(recovered([...before, ...after].join("\n")), "powered-off");
    expect(off.verdict).toBe("conforms");
    expect(off.failover?.fencing.status).toBe("not-applicable");
  });
});
