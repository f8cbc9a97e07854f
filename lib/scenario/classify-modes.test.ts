import type { V1Status } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  dataSeededCheck,
  dataSeededNotApplicable,
  writeAttemptCheck,
  writeAttemptNotApplicable,
} from "./checks.ts";
import { capabilityRefusal, decide } from "./classify.ts";
import { observe, plannedProfile, type Recording, recording, scenarioOf } from "./testdata/recordings.ts";
import type { Check } from "./types.ts";
import { finalVerdict, judge } from "./verdict.ts";

/**
 * The ReadOnlyMany and mixed-mode scenarios on objects and events recorded
 * from the local cluster (testdata/*.json: `kubectl get -o json` of a
 * scenario's namespace after the control plane decided):
 * - mixed-rwo-rox-block: a claim asking for ReadWriteOnce and ReadOnlyMany on
 *   amc-block, pod-a on amc-node-a1; the CSI attacher refuses the volume;
 * - mixed-rwo-rox-shared: the same claim on amc-shared (no attach);
 * - rox-cross-block: a volume of amc-block re-bound ReadOnlyMany, pod-a on
 *   amc-node-a1 and pod-b on amc-node-a2, both mounting it readOnly.
 */

describe("decide: one pod on a claim asking for ReadWriteOnce and ReadOnlyMany", () => {
  const block = recording("mixed-rwo-rox-block");
  const shared = recording("mixed-rwo-rox-shared");

  it("on attachable CSI storage: the attach is refused for the access modes, with the event as evidence", () => {
    const decision = decide(observe(block, { attachRequired: true }), "pod-a", "pod-b");
    expect(decision?.outcome).toBe("attach-refused");
    expect(decision?.event?.reason).toBe("FailedAttachVolume");
    expect(decision?.event?.source?.component).toBe("attachdetach-controller");
    expect(decision?.event?.involvedObject.name).toBe("pod-a");
    expect(decision?.event?.message).toMatch(
      /^AttachVolume\.Attach failed for volume "pvc-[0-9a-f-]+" : CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume$/,
    );
  });

  it("on attachable CSI storage: the VolumeAttachment carries the attacher's error and stays unattached", () => {
    expect(block.attachments).toHaveLength(1);
    expect(block.attachments[0]?.status?.attached).toBe(false);
    expect(block.attachments[0]?.status?.attachError?.message).toBe(
      "CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume",
    );
  });

  it("on attachable CSI storage: undecided before the event, although kwok marks pod-a Running", () => {
    expect(block.pods[0]?.status?.phase).toBe("Running");
    const before = block.events.filter((e) => e.reason !== "FailedAttachVolume");
    expect(
      decide(observe(block, { attachRequired: true, events: before }), "pod-a", "pod-b"),
    ).toBeUndefined();
  });

  it("on storage without attach: pod-a is admitted, alone (no holder next to it)", () => {
    expect(shared.attachments).toEqual([]);
    const decision = decide(observe(shared, { attachRequired: false }), "pod-a", "pod-b");
    expect(decision?.outcome).toBe("admitted");
    expect(decision?.event).toBeUndefined();
    expect(decision?.summary).toContain("pod-a was admitted on amc-node-a1");
    expect(decision?.summary).not.toContain("next to");
  });
});

describe("decide: a ReadOnlyMany volume on attachable storage, pods on two nodes", () => {
  const r = recording("rox-cross-block");
  const only = (node: string): Recording => ({
    ...r,
    attachments: r.attachments.filter((va) => va.spec.nodeName === node),
  });

  it("holds the volume re-bound ReadOnlyMany, mounted readOnly by both pods", () => {
    expect(r.claims.map((c) => c.spec?.accessModes)).toEqual([["ReadOnlyMany"]]);
    for (const pod of r.pods) {
      const claim = pod.spec?.volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim;
      expect(claim).toEqual({ claimName: "rox-pvc", readOnly: true });
    }
  });

  it("attaches it to both nodes at once", () => {
    const decision = decide(observe(r, { attachRequired: true }), "pod-b", "pod-a");
    expect(decision?.outcome).toBe("attached-to-two-nodes");
    expect(decision?.summary).toBe(
      "the volume is attached to amc-node-a1 (pod-a) and amc-node-a2 (pod-b) at once",
    );
  });

  it("is undecided on simulated nodes while only the holder's attachment exists", () => {
    const holderOnly = only("amc-node-a1");
    expect(holderOnly.attachments).toHaveLength(1);
    expect(decide(observe(holderOnly, { attachRequired: true }), "pod-b", "pod-a")).toBeUndefined();
  });

  it("is undecided on simulated nodes while pod-b's attachment is not attached yet", () => {
    const pending: Recording = {
      ...r,
      attachments: r.attachments.map((va) =>
        va.spec.nodeName === "amc-node-a2" ? { ...va, status: { attached: false } } : va,
      ),
    };
    expect(decide(observe(pending, { attachRequired: true }), "pod-b", "pod-a")).toBeUndefined();
  });
});

describe("expectations of the ReadOnlyMany and mixed-mode scenarios, by class", () => {
  const expectation = (id: string, className: string) => scenarioOf(id).expect(plannedProfile(className));

  for (const id of ["rox-cross-node", "rox-cross-node-writable"]) {
    it(`${id}: attached to two nodes on amc-block, node affinity on amc-local, admitted on amc-shared`, () => {
      expect(expectation(id, "amc-block")).toMatchObject({ outcome: "attached-to-two-nodes" });
      expect(expectation(id, "amc-local")).toMatchObject({ outcome: "node-affinity-conflict" });
      expect(expectation(id, "amc-shared")).toMatchObject({ outcome: "admitted" });
      for (const className of ["amc-block", "amc-local", "amc-shared"]) {
        expect(expectation(id, className)).not.toHaveProperty("finding");
      }
    });
  }

  it("mixed-rwo-rox: attach refused on amc-block, a finding; admitted on amc-local and amc-shared", () => {
    const block = expectation("mixed-rwo-rox", "amc-block");
    expect(block).toMatchObject({ outcome: "attach-refused" });
    expect(block).toHaveProperty(
      "finding",
      "a claim asking for ReadWriteOnce and ReadOnlyMany is provisioned on amc-block, but its volume is never attached: the pod waits for it for good",
    );
    for (const className of ["amc-local", "amc-shared"]) {
      expect(expectation("mixed-rwo-rox", className)).toMatchObject({ outcome: "admitted" });
      expect(expectation("mixed-rwo-rox", className)).not.toHaveProperty("finding");
    }
  });

  it("mixed-rwo-rwx-cross-node: admitted on amc-shared with a finding (and attached to two nodes on amc-block)", () => {
    expect(expectation("mixed-rwo-rwx-cross-node", "amc-shared")).toEqual({
      outcome: "admitted",
      because: expect.any(String),
      finding:
        "RWO is not enforced across nodes on amc-shared when the claim also lists ReadWriteMany: two pods on two nodes use the volume",
    });
    expect(expectation("mixed-rwo-rwx-cross-node", "amc-block")).toMatchObject({
      outcome: "attached-to-two-nodes",
      finding: expect.stringContaining("amc-block"),
    });
    expect(expectation("mixed-rwo-rwx-cross-node", "amc-local")).toMatchObject({
      outcome: "node-affinity-conflict",
    });
  });

  it("rwx-cross-node and its raw block twin: attached to both nodes on attachable storage (a multi-attach SAN), admitted elsewhere", () => {
    for (const id of ["rwx-cross-node", "rwx-cross-node-block"]) {
      expect(expectation(id, "amc-block")).toMatchObject({ outcome: "attached-to-two-nodes" });
      expect(expectation(id, "amc-block")).not.toHaveProperty("finding");
      expect(expectation(id, "amc-shared")).toMatchObject({ outcome: "admitted" });
    }
  });

  it("judge the recorded decisions: a finding on amc-block (mixed-rwo-rox), conforming elsewhere", () => {
    const refused = decide(
      observe(recording("mixed-rwo-rox-block"), { attachRequired: true }),
      "pod-a",
      "pod-b",
    );
    expect(judge(expectation("mixed-rwo-rox", "amc-block"), refused).verdict).toBe("finding");
    const admitted = decide(
      observe(recording("mixed-rwo-rox-shared"), { attachRequired: false }),
      "pod-a",
      "pod-b",
    );
    expect(judge(expectation("mixed-rwo-rox", "amc-shared"), admitted).verdict).toBe("conforms");
    const both = decide(observe(recording("rox-cross-block"), { attachRequired: true }), "pod-b", "pod-a");
    expect(judge(expectation("rox-cross-node", "amc-block"), both).verdict).toBe("conforms");
  });
});

/** What the exec API returns for `sh -c "echo amc > /data/amc-write-attempt"` that exits 1. */
const nonZeroExit: V1Status = {
  metadata: {},
  status: "Failure",
  message:
    "command terminated with non-zero exit code: error executing command [sh -c echo amc > /data/amc-write-attempt], exit code 1",
  reason: "NonZeroExitCode",
  details: { causes: [{ reason: "ExitCode", message: "1" }] },
};
const success: V1Status = { metadata: {}, status: "Success" };
const readOnlyFs = {
  stdout: "",
  stderr: "sh: can't create /data/amc-write-attempt: Read-only file system\n",
  status: nonZeroExit,
};
const permissionDenied = {
  stdout: "",
  stderr: "sh: can't create /data/amc-write-attempt: Permission denied\n",
  status: nonZeroExit,
};
const written = { stdout: "", stderr: "", status: success };

describe("write attempt into the ReadOnlyMany volume", () => {
  const attempt = (readOnly: boolean, result: typeof written) =>
    writeAttemptCheck({ readOnly, className: "amc-shared", pod: "pod-b", result });

  it("does not apply on simulated nodes, under the check's own id", () => {
    expect(writeAttemptNotApplicable("control-plane", true)).toMatchObject({
      id: "write-refused",
      status: "not-applicable",
    });
    expect(writeAttemptNotApplicable("control-plane", false)).toMatchObject({
      id: "write-without-read-only",
      status: "not-applicable",
    });
    expect(writeAttemptNotApplicable("full", true)).toBeUndefined();
  });

  it("mounted readOnly: passes when the write fails with a read-only file system", () => {
    const check = attempt(true, readOnlyFs);
    expect(check).toEqual({
      id: "write-refused",
      title: "a pod that mounted the claim readOnly cannot write to it",
      status: "passed",
      detail: "pod-b's write failed: sh: can't create /data/amc-write-attempt: Read-only file system",
    });
  });

  it("mounted readOnly: fails when the write succeeds", () => {
    const check = attempt(true, written);
    expect(check.status).toBe("failed");
    expect(check.detail).toBe("pod-b wrote to the volume mounted readOnly");
    expect(check.finding).toBeUndefined();
  });

  it("mounted readOnly: inconclusive when the write fails for another reason (Permission denied)", () => {
    const check = attempt(true, permissionDenied);
    expect(check.status).toBe("inconclusive");
    expect(check.detail).toContain("not because the file system is read-only");
    expect(check.detail).toContain("Permission denied");
  });

  it("mounted without readOnly: a write that succeeds passes, and is a finding naming the class", () => {
    const check = attempt(false, written);
    expect(check.id).toBe("write-without-read-only");
    expect(check.status).toBe("passed");
    expect(check.finding).toBe(
      "ReadOnlyMany does not make a volume read-only on amc-shared: pod-b, which mounted it without readOnly, wrote to it",
    );
  });

  it("mounted without readOnly: a write the class refuses passes, without a finding", () => {
    const check = attempt(false, readOnlyFs);
    expect(check.status).toBe("passed");
    expect(check).not.toHaveProperty("finding");
    expect(check.detail).toBe(
      "amc-shared mounted the volume read-only although the pod did not ask for readOnly: sh: can't create /data/amc-write-attempt: Read-only file system",
    );
  });

  it("mounted without readOnly: a write refused for another reason is inconclusive, not the class's enforcement", () => {
    const denied = {
      stdout: "",
      stderr: "sh: can't create /data/amc-write-attempt: Permission denied",
      status: { status: "Failure", reason: "NonZeroExitCode" },
    };
    const check = attempt(false, denied);
    expect(check.status).toBe("inconclusive");
    expect(check).not.toHaveProperty("finding");
  });
});

describe("data seeded before the volume was re-bound read-only", () => {
  const token = "amc-3f9a1c";

  it("does not apply on simulated nodes", () => {
    expect(dataSeededNotApplicable("control-plane")?.status).toBe("not-applicable");
    expect(dataSeededNotApplicable("full")).toBeUndefined();
  });

  it("passes when both pods read the token", () => {
    const check = dataSeededCheck(token, [
      { pod: "pod-a", stdout: `${token}\n`, stderr: "" },
      { pod: "pod-b", stdout: `${token}\n`, stderr: "" },
    ]);
    expect(check).toMatchObject({ id: "data-seeded", status: "passed" });
    expect(check.detail).toBe(`pod-a and pod-b read the token ${token}`);
  });

  it("fails, naming the pod, when one read something else", () => {
    const check = dataSeededCheck(token, [
      { pod: "pod-a", stdout: `${token}\n`, stderr: "" },
      { pod: "pod-b", stdout: "", stderr: "cat: can't open '/data/amc-token': No such file or directory" },
    ]);
    expect(check.status).toBe("failed");
    expect(check.detail).toBe(`pod-b read "" cat: can't open '/data/amc-token': No such file or directory`);
    expect(check.detail).not.toContain("pod-a");
  });
});

describe("verdict: a conforming outcome with a kubelet check that carries a finding", () => {
  const expectation = scenarioOf("rox-cross-node-writable").expect(plannedProfile("amc-block"));
  const observed = decide(observe(recording("rox-cross-block"), { attachRequired: true }), "pod-b", "pod-a");
  const wrote = writeAttemptCheck({ readOnly: false, className: "amc-block", pod: "pod-b", result: written });
  const seeded = dataSeededCheck("amc-3f9a1c", [
    { pod: "pod-a", stdout: "amc-3f9a1c", stderr: "" },
    { pod: "pod-b", stdout: "amc-3f9a1c", stderr: "" },
  ]);

  it("conforms without the finding", () => {
    expect(finalVerdict({ expectation, observed, checks: [seeded] }).verdict).toBe("conforms");
  });

  it("is a finding, with the check's finding as its reason", () => {
    expect(finalVerdict({ expectation, observed, checks: [seeded, wrote] })).toEqual({
      verdict: "finding",
      reason:
        "ReadOnlyMany does not make a volume read-only on amc-block: pod-b, which mounted it without readOnly, wrote to it",
    });
  });

  it("deviates when another check failed, whatever the finding", () => {
    const wrongData: Check = dataSeededCheck("amc-3f9a1c", [
      { pod: "pod-a", stdout: "amc-3f9a1c", stderr: "" },
      { pod: "pod-b", stdout: "other", stderr: "" },
    ]);
    const judged = finalVerdict({ expectation, observed, checks: [wrote, wrongData] });
    expect(judged.verdict).toBe("deviates");
    expect(judged.reason).toMatch(
      /^the pods read the data written before the volume was re-bound read-only: no, pod-b read "other"/,
    );
  });
});

describe("capabilityRefusal: a class that does not serve the re-bound volume's mode", () => {
  const block = recording("rox-cross-block");
  // The attach error of a driver without MULTI_NODE_READER_ONLY, in the suite driver's own words
  // (clusters/csi-driver/config.ts, unsupportedAccessMode) as the attach/detach controller reports it.
  const refusal = {
    ...block.events.find((e) => e.involvedObject.name === "pod-a"),
    metadata: { name: "pod-a.refused", namespace: "fx-rox-cross-block" },
    involvedObject: { kind: "Pod", name: "pod-a", namespace: "fx-rox-cross-block" },
    type: "Warning",
    reason: "FailedAttachVolume",
    message:
      'AttachVolume.Attach failed for volume "pvc-09acc624-4a43-4247-b289-83c834139225" : rpc error: code = InvalidArgument desc = driver amc-block.csi.test does not support access mode MULTI_NODE_READER_ONLY (Kubernetes ReadOnlyMany); it supports SINGLE_NODE_WRITER, SINGLE_NODE_READER_ONLY, SINGLE_NODE_SINGLE_WRITER, SINGLE_NODE_MULTI_WRITER',
  };

  it("finds the driver's refusal of the access mode on the pod", () => {
    const o = observe(block, { attachRequired: true, events: [...block.events, refusal] });
    expect(capabilityRefusal(o, "pod-a")?.message).toContain(
      "does not support access mode MULTI_NODE_READER_ONLY",
    );
    expect(capabilityRefusal(o, "pod-b")).toBeUndefined();
  });

  it("is not the CSI mapping's refusal of a mode pair (attach-refused), nor anything else", () => {
    expect(capabilityRefusal(observe(block, { attachRequired: true }), "pod-a")).toBeUndefined();
    const mixed = recording("mixed-rwo-rox-block");
    expect(capabilityRefusal(observe(mixed, { attachRequired: true }), "pod-a")).toBeUndefined();
  });
});
