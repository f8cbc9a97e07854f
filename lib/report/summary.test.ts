import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../scenario/types.ts";
import { summarize } from "./summary.ts";

/** The records of one whole run on the local cluster (testdata/run/), as the runner wrote them. */
const dir = new URL("./testdata/run/", import.meta.url);
const records = readdirSync(dir)
  .filter((f) => f.includes("@"))
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), "utf8")) as RunRecord);

describe("the end-of-run summary", () => {
  const text = summarize(records);

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
    expect(text).toMatch(/handoff times .*\n {2}amc-block: \d+\.\d s \(detach \d+ ms, attach \d+ ms\)/);
    expect(text).toContain("16 conforms, 1 finding, 7 not-applicable");
  });
});
