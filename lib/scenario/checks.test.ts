import { describe, expect, it } from "vitest";
import {
  dataSharedCheck,
  dataSharedNotApplicable,
  podBStuckCheck,
  podBStuckNotApplicable,
  reportedByKubelet,
} from "./checks.ts";
import { containerCreating, podOf, recording } from "./testdata/recordings.ts";

/** The kubelet-level checks' rules, on pods recorded from the local cluster. */

const crossBlock = recording("rwo-cross-block");
const rwopSame = recording("rwop-same");

describe("pod B stuck while the volume is attached elsewhere", () => {
  it("does not apply on simulated nodes", () => {
    expect(podBStuckNotApplicable("control-plane")).toEqual({
      id: "pod-b-stuck",
      title: "pod B is stuck in ContainerCreating while the volume is attached elsewhere",
      status: "not-applicable",
      detail: "needs real kubelets: on simulated nodes every pod is marked Running whatever its volumes",
    });
    expect(podBStuckNotApplicable("full")).toBeUndefined();
  });

  it("waits for a pod its kubelet reported: container statuses, or Running", () => {
    const unscheduled = podOf(rwopSame, "pod-b");
    expect(unscheduled.status?.phase).toBe("Pending");
    expect(reportedByKubelet(unscheduled)).toBeUndefined();
    expect(reportedByKubelet(undefined)).toBeUndefined();
    expect(reportedByKubelet(podOf(crossBlock, "pod-b"))).toBe(podOf(crossBlock, "pod-b"));
    const creating = containerCreating(unscheduled);
    expect(reportedByKubelet(creating)).toBe(creating);
  });

  it("passes when pod B is Pending in ContainerCreating", () => {
    expect(podBStuckCheck(containerCreating(podOf(crossBlock, "pod-b")))).toMatchObject({
      status: "passed",
      detail: "pod B is Pending (ContainerCreating)",
    });
  });

  it("fails when pod B runs", () => {
    expect(podBStuckCheck(podOf(crossBlock, "pod-b"))).toMatchObject({
      status: "failed",
      detail: "pod B is Running",
    });
  });

  it("is inconclusive when the kubelet never reported pod B", () => {
    expect(podBStuckCheck(undefined)).toMatchObject({
      status: "inconclusive",
      detail: "the kubelet reported no status for pod B",
    });
  });
});

describe("pod B reads what pod A wrote", () => {
  it("does not apply on simulated nodes, nor when pod B was not admitted", () => {
    expect(dataSharedNotApplicable("control-plane", { outcome: "admitted" })).toMatchObject({
      status: "not-applicable",
      detail: "needs real kubelets to mount the volume",
    });
    expect(dataSharedNotApplicable("full", { outcome: "multi-attach-blocked" })).toMatchObject({
      status: "not-applicable",
      detail: "pod B was not admitted",
    });
    expect(dataSharedNotApplicable("full", undefined)).toMatchObject({ detail: "pod B was not admitted" });
    expect(dataSharedNotApplicable("full", { outcome: "admitted" })).toBeUndefined();
  });

  it("passes when pod B reads the token back, whatever the whitespace", () => {
    expect(dataSharedCheck("0123abcd", { stdout: "0123abcd\n", stderr: "" })).toEqual({
      id: "data-shared",
      title: "pod B reads what pod A wrote to the volume",
      status: "passed",
      detail: "pod B read the token 0123abcd",
    });
  });

  it("fails otherwise, with what pod B read and its errors", () => {
    expect(
      dataSharedCheck("0123abcd", { stdout: "\n", stderr: "cat: can't open '/data/amc-token'\n" }),
    ).toMatchObject({
      status: "failed",
      detail: `pod B read "" cat: can't open '/data/amc-token'`,
    });
  });
});
