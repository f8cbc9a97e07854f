import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { withClaims } from "../profile/claims.ts";
import { loadProfile } from "../profile/load-profile.ts";
import { buildCertification } from "./certification.ts";
import { renderHtml } from "./html.ts";
import { renderJUnit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { kindAccessSpace, recordedEnd, recordedPlan, recordedRecords } from "./testdata/fixture.ts";

const schema = JSON.parse(readFileSync(new URL("./certification.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

const complete = buildCertification(recordedPlan, recordedRecords, recordedEnd);
// The same run checked against the example profile of the local cluster (amc certify).
const certified = withClaims(complete, await loadProfile("profiles/local.yaml"));
// The same run cut short: only the ReadWriteOnce scenarios had run when it was interrupted.
const interrupted = buildCertification(
  recordedPlan,
  recordedRecords.filter((r) => r.accessMode === "ReadWriteOnce"),
  { finishedAt: recordedEnd.finishedAt, status: "interrupted" },
);

describe("certification.json", () => {
  it("follows its published schema, complete or interrupted", () => {
    expect(validate(JSON.parse(JSON.stringify(complete))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(interrupted))), JSON.stringify(validate.errors)).toBe(true);
  });

  it("follows its published schema with a vendor profile's claims", () => {
    // The failover and zone failover claims are not checked: this run did not plan the node-failure
    // or zones scenarios, nor test amc-zonal.
    expect(certified.claims?.counts).toEqual({ held: 15, broken: 1, "not-checked": 15 });
    expect(validate(JSON.parse(JSON.stringify(certified))), JSON.stringify(validate.errors)).toBe(true);
    const broken = JSON.parse(JSON.stringify(certified));
    broken.claims.results[0].status = "kept";
    expect(validate(broken)).toBe(false);
  });

  it("follows its published schema on the whole access-mode space, with the kind profile's claims", async () => {
    // Raw block, ReadOnlyMany, mixed modes, a workload: volumeMode, accessModes, family, a check's
    // finding, attach-refused, and the block-access-mode and read-only-many claims.
    const space = withClaims(
      buildCertification(kindAccessSpace.plan, kindAccessSpace.records, kindAccessSpace.end),
      await loadProfile("profiles/kind.yaml"),
    );
    const kinds = new Set(space.claims?.results.map((c) => c.kind));
    expect(kinds).toContain("read-only-many");
    expect(space.results.some((r) => r.volumeMode === "Block")).toBe(true);
    expect(space.results.some((r) => r.observed?.outcome === "attach-refused")).toBe(true);
    expect(space.results.some((r) => r.checks.some((c) => c.finding))).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(space))), JSON.stringify(validate.errors)).toBe(true);
  });

  it("is refused by the schema when a result lacks its verdict's reason", () => {
    const broken = JSON.parse(JSON.stringify(complete));
    delete broken.results[0].reason;
    expect(validate(broken)).toBe(false);
  });

  it("has one result per planned scenario and class, with the records' verdicts", () => {
    expect(complete.results).toHaveLength(recordedPlan.scenarios.length * recordedPlan.storage.length);
    expect(complete.summary.counts).toEqual({
      conforms: 16,
      deviates: 0,
      finding: 1,
      "not-applicable": 7,
      inconclusive: 0,
      "not-run": 0,
    });
    const multiAttach = complete.results.find(
      (r) => r.scenario === "rwo-cross-node" && r.storageClass === "amc-block",
    );
    expect(multiAttach?.observed?.decidedBy?.message).toMatch(/^Multi-Attach error for volume/);
  });

  it("says what it cannot claim on simulated nodes", () => {
    expect(complete.fidelityNote).toMatch(/^Control-plane fidelity: .*kubelet-level checks were not run\.$/);
  });

  it("lists what an interrupted run did not reach as not run", () => {
    expect(interrupted.run.status).toBe("interrupted");
    expect(interrupted.summary.counts["not-run"]).toBe(15);
    const notRun = interrupted.results.find((r) => r.scenario === "rwx-cross-node");
    expect(notRun).toMatchObject({ status: "not-run", reason: "not run: the run was interrupted before it" });
  });

  it("gathers findings and handoff times", () => {
    expect(complete.summary.findings).toEqual([
      "RWO is not enforced across nodes on amc-shared: two pods on two nodes use the same volume",
    ]);
    expect(complete.summary.handoffs.map((h) => h.storageClass)).toEqual(["amc-block"]);
  });
});

describe("certification.md", () => {
  const markdown = renderMarkdown(complete, "0".repeat(64));
  const lines = markdown.split("\n");

  it("opens with the fidelity warning", () => {
    expect(lines[2]).toMatch(/^> \*\*Control-plane fidelity/);
  });

  it("has the matrix: one row per class, one column per scenario, one line per cell", () => {
    const header = lines.find((l) => l.startsWith("| class | rwo-same-node"));
    expect(header?.split("|").length).toBe(recordedPlan.scenarios.length + 3);
    const block = lines.find((l) => l.startsWith("| `amc-block` (attachable)"));
    expect(block).toContain("conforms: Multi-Attach");
    expect(block).toMatch(/conforms: handed over in \d+\.\d s/);
    expect(lines.find((l) => l.startsWith("| `amc-shared` (shared)"))).toContain("FINDING: admitted");
  });

  it("states the findings in plain words and the reasons of what did not apply", () => {
    expect(markdown).toContain("## Findings\n\n- RWO is not enforced across nodes on amc-shared");
    expect(markdown).toMatch(
      /- `rwx-cross-node @ amc-block`: amc-block cannot provision ReadWriteMany: .*InvalidArgument/,
    );
  });

  it("lists a profile's claims, the broken one with its evidence", () => {
    const withClaims = renderMarkdown(certified);
    expect(withClaims).toContain("- Claims: 15 held, 1 BROKEN");
    expect(withClaims).toMatch(
      /\| `amc-shared` \| RWO is attach-exclusive across nodes: .* \| BROKEN \| rwo-cross-node @ amc-shared: expected blocked by Multi-Attach, observed admitted/,
    );
    expect(withClaims).toMatch(
      /- `amc-shared\/rwo-cross-node` BROKEN: .*\n {2}- rwo-cross-node @ amc-shared contradicts \(finding\)/,
    );
    expect(markdown).not.toContain("## Claims");
  });

  it("names the digest of the JSON it was rendered with", () => {
    expect(markdown).toContain(`certification.json SHA-256: \`${"0".repeat(64)}\``);
  });
});

describe("junit.xml", () => {
  const xml = renderJUnit(interrupted);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);

  it("is well-formed", () => {
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it("has one suite per scenario family and one case per scenario @ class", () => {
    const suites = parsed.testsuites.testsuite;
    expect(suites.map((s: { name: string }) => s.name)).toEqual([
      "ReadWriteOnce (RWO)",
      "ReadWriteOncePod (RWOP)",
      "ReadWriteMany (RWX)",
    ]);
    expect(suites[0].testcase.map((c: { name: string }) => c.name)).toContain("rwo-cross-node @ amc-block");
    expect(parsed.testsuites.tests).toBe("24");
  });

  it("skips not applicable and not run cases with the reason, never passes them", () => {
    const cases = parsed.testsuites.testsuite.flatMap((s: { testcase: object[] }) => s.testcase);
    const handoffLocal = cases.find((c: { name: string }) => c.name === "rwo-handoff @ amc-local");
    expect(handoffLocal.skipped.message).toMatch(/^not applicable: only attachable storage is handed over/);
    const notRun = cases.find((c: { name: string }) => c.name === "rwx-cross-node @ amc-shared");
    expect(notRun.skipped.message).toBe("not run: the run was interrupted before it");
    expect(parsed.testsuites.skipped).toBe(String(2 + 15));
  });

  it("carries the fidelity note on every suite", () => {
    const fidelity = parsed.testsuites.testsuite[0].properties.property.find(
      (p: { name: string }) => p.name === "fidelity",
    );
    expect(fidelity.value).toMatch(/^Control-plane fidelity/);
  });
});

describe("certification.html", () => {
  it("has a row per claim, coloured by its status, with the evidence it rests on", () => {
    const html = renderHtml(certified);
    expect(html.match(/<tr data-claim="/g)).toHaveLength(31);
    expect(html).toMatch(
      /<tr data-claim="amc-shared\/rwo-cross-node" data-status="broken">.*<td class="status c-broken">BROKEN<\/td>.*rwo-cross-node @ amc-shared contradicts \(finding\)/,
    );
    expect(renderHtml(complete)).not.toContain("data-claim");
  });
});
