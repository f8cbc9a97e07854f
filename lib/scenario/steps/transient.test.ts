import type { CoreV1Event, V1ContainerState, V1Pod } from "@kubernetes/client-node";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Observations } from "../classify.ts";
import { EventLog } from "../evidence.ts";
import { defaultTimeouts } from "../timeouts.ts";
import { admitted } from "./admitted.ts";
import type { StepContext } from "./context.ts";
import { readToken, writeToken } from "./data-check.ts";

/**
 * A transient container-runtime failure on a real kubelet (kind): "runc
 * create failed: ... unable to freeze" when the container of pod A starts.
 * The kubelet retries it; meanwhile the pod is already in phase Running
 * (restart policy Always) with its container waiting in CrashLoopBackOff, and
 * an exec into it is refused. The steps wait until the container runs.
 */

const execs: string[][] = [];
vi.mock("../../kube/exec.ts", () => ({
  execInPod: async (
    _kube: unknown,
    _namespace: string,
    _pod: string,
    _container: string,
    command: string[],
  ) => {
    execs.push(command);
    return { stdout: "tok\n", stderr: "", status: { status: "Success" } };
  },
}));

function pod(name: string, state: V1ContainerState): V1Pod {
  return {
    metadata: { name, namespace: "ns" },
    spec: { nodeName: "kind-worker", containers: [{ name: "app" }] },
    status: {
      phase: "Running",
      containerStatuses: [
        {
          name: "app",
          image: "alpine",
          imageID: "",
          ready: state.running !== undefined,
          restartCount: 1,
          state,
          lastState: {
            terminated: {
              exitCode: 128,
              reason: "StartError",
              message:
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to freeze",
            },
          },
        },
      ],
    },
  };
}

const runtimeFailure: CoreV1Event = {
  metadata: { name: "pod-a.1", namespace: "ns" },
  involvedObject: { kind: "Pod", name: "pod-a", namespace: "ns" },
  reason: "Failed",
  type: "Warning",
  message:
    "Error: failed to create containerd task: OCI runtime create failed: runc create failed: unable to freeze",
};

const restarting = (name: string) => pod(name, { waiting: { reason: "CrashLoopBackOff" } });
const running = (name: string) => pod(name, { running: { startedAt: new Date() } });

function observations(...pods: V1Pod[]): Observations {
  return {
    fidelity: "full",
    attachRequired: false,
    pods: new Map(pods.map((p) => [p.metadata?.name ?? "", p])),
    events: [runtimeFailure],
    attachments: [],
  };
}

/** A context whose waiter shows `sequence`, one snapshot after another, as changes arrive. */
function contextSeeing(sequence: Observations[], volumeMode?: "Block") {
  const seen: { what: string; shown: number }[] = [];
  const context = {
    scenario: volumeMode ? { volumeMode } : {},
    names: { claim: "rwo-pvc-1", a: "pod-a", b: "pod-b" },
    namespace: "ns",
    token: "tok",
    serviceAccount: Promise.resolve(),
    cluster: { fidelity: "full" },
    timeouts: defaultTimeouts,
    state: { checks: [], events: new EventLog(), decision: { outcome: "admitted", summary: "" } },
    waitUntil: async <R>(what: string, _timeoutMs: number, until: (o: Observations) => R | undefined) => {
      for (const [index, snapshot] of sequence.entries()) {
        const answer = until(snapshot);
        if (answer !== undefined) {
          seen.push({ what, shown: index + 1 });
          return answer;
        }
      }
      throw new Error(`${what}: no answer in ${sequence.length} snapshots`);
    },
  } as unknown as StepContext;
  return { context, seen };
}

describe("a transient container-runtime failure is waited out", () => {
  beforeEach(() => {
    execs.length = 0;
  });

  it("admitted: a Running pod whose container restarts is not admitted yet; it is once the container runs", async () => {
    const { context, seen } = contextSeeing([
      observations(restarting("pod-a")),
      observations(restarting("pod-a")),
      observations(running("pod-a")),
    ]);
    await expect(admitted(context, { do: "admitted", pod: "a" })).resolves.toBe(true);
    expect(seen).toEqual([{ what: "pod-a to be admitted", shown: 3 }]);
  });

  it("write-token: waits for pod A's container to run before it execs", async () => {
    const { context, seen } = contextSeeing([
      observations(restarting("pod-a")),
      observations(running("pod-a")),
    ]);
    await writeToken(context, { do: "write-token", pod: "a" });
    expect(seen).toEqual([{ what: "pod-a's container to run", shown: 2 }]);
    expect(execs).toEqual([["sh", "-c", "echo tok > /data/amc-token"]]);
  });

  it("read-token: waits for pod B's container to run before it execs", async () => {
    const { context, seen } = contextSeeing([
      observations(running("pod-a"), restarting("pod-b")),
      observations(running("pod-a"), running("pod-b")),
    ]);
    await readToken(context, { do: "read-token", pod: "b" });
    expect(seen).toEqual([{ what: "pod-b's container to run", shown: 2 }]);
    expect(execs).toEqual([["cat", "/data/amc-token"]]);
    expect(context.state.checks.map((c) => c.status)).toEqual(["passed"]);
  });

  it("on a raw block volume, writes the token to the device's first bytes and reads them back", async () => {
    const { context } = contextSeeing([observations(running("pod-a"), running("pod-b"))], "Block");
    await writeToken(context, { do: "write-token", pod: "a" });
    await readToken(context, { do: "read-token", pod: "b" });
    expect(execs).toEqual([
      ["sh", "-c", "printf %s tok > /dev/amc-data && sync"],
      ["head", "-c", "3", "/dev/amc-data"],
    ]);
    expect(context.state.checks.map((c) => c.status)).toEqual(["passed"]);
  });
});
