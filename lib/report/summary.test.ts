import { describe, expect, it } from "vitest";
import { buildCertification } from "./certification.ts";
import { summarize } from "./summary.ts";
import { recordedEnd, recordedPlan, recordedRecords } from "./testdata/fixture.ts";

/** The end-of-run summary of one whole run recorded on the local cluster. */
describe("the end-of-run summary", () => {
  const text = summarize(buildCertification(recordedPlan, recordedRecords, recordedEnd));

  it("says what cluster and fidelity the verdicts come from", () => {
    expect(text.split("\n")[0]).toMatch(
      /on local cluster amc-\w+ \(Kubernetes v1\.36\.3, control-plane fidelity: kubelet-level checks not run\)/,
    );
  });

  it("gives each run its verdict and the event that decided it", () => {
    expect(text).toMatch(
      /rwo-cross-node @ amc-block +conforms +blocked by Multi-Attach: FailedAttachVolume \[attachdetach-controller\] Multi-Attach error/,
    );
    expect(text).toMatch(/rwx-cross-node @ amc-block +n\/a +amc-block cannot provision ReadWriteMany/);
  });

  it("lists the findings and the handoff times", () => {
    expect(text).toContain(
      "findings:\n  RWO is not enforced across nodes on amc-shared: two pods on two nodes use the same volume",
    );
    expect(text).toMatch(
      /handoff times .*\n {2}rwo-handoff @ amc-block: \d+\.\d s \(detach \d+ ms, attach \d+ ms\)/,
    );
    expect(text).toContain("16 conforms, 1 finding, 7 not-applicable");
  });
});
