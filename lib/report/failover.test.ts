import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFaultModes } from "../cluster/contract.ts";
import { readRecords, recordFileName, writeRecord } from "../scenario/records.ts";
import { allScenarios } from "../scenario/scenarios.ts";
import type { ScenarioRecord } from "../scenario/types.ts";
import { caseKey } from "./cases.ts";
import { buildCertification } from "./certification.ts";
import { renderHtml } from "./html.ts";
import { renderJUnit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { plannedCases, plannedScenarios, type RunPlan } from "./plan.ts";
import { summarize } from "./summary.ts";
import { kindFailover, localFailover, recordedPlan, recordedRecords } from "./testdata/fixture.ts";

/**
 * The node-failure records in every form of the report, from two recorded
 * runs of the node-failure scenarios alone (both fault modes planned, 2026-12-01):
 * on kind (real kubelets, lib/report/testdata/kind-failover) and on the local
 * cluster (simulated nodes, lib/report/testdata/local-failover, where the
 * powered-off cases are not applicable).
 */

const schema = JSON.parse(readFileSync(new URL("./certification.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);
const valid = (document: object) => {
  const ok = validate(JSON.parse(JSON.stringify(document)));
  return ok ? "valid" : JSON.stringify(validate.errors);
};

const kind = buildCertification(kindFailover.plan, kindFailover.records, kindFailover.end);
/** The local run of every other scenario and the local node-failure run, as one run of every scenario. */
const wholePlan: RunPlan = {
  ...recordedPlan,
  scenarios: [...recordedPlan.scenarios, ...localFailover.plan.scenarios],
};
const whole = buildCertification(
  wholePlan,
  [...recordedRecords, ...localFailover.records],
  localFailover.end,
);
/** The kind run cut short after the kubelet-stopped faults. */
const interrupted = buildCertification(
  kindFailover.plan,
  kindFailover.records.filter((r) => r.failover?.mode === "kubelet-stopped"),
  { finishedAt: "2026-12-01T23:22:48.000Z", status: "interrupted" },
);
const record = (scenario: string, storageClass: string, mode: string) =>
  kindFailover.records.find(
    (r) => r.scenario === scenario && r.storageClass === storageClass && r.failover?.mode === mode,
  ) as ScenarioRecord;

let scratch = "";
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = "";
});

describe("node-failure records on disk", () => {
  it("keep both fault modes of a scenario and class, and other records keep their name", async () => {
    scratch = await mkdtemp(join(tmpdir(), "amc-records-"));
    const other = recordedRecords.find((r) => r.scenario === "rwo-cross-node") as ScenarioRecord;
    const runId = kindFailover.plan.runId;
    for (const r of [...kindFailover.records, { ...other, runId }]) await writeRecord(scratch, r);
    const files = await readdir(join(scratch, "records", runId));
    expect(files).toContain("rwo-node-loss@amc-block@kubelet-stopped.json");
    expect(files).toContain("rwo-node-loss@amc-block@powered-off.json");
    expect(files).toContain(`rwo-cross-node@${other.storageClass}.json`);
    expect(files).toHaveLength(kindFailover.records.length + 1);
    const read = await readRecords(scratch, runId);
    expect(read.map(recordFileName)).toEqual([...files].sort());
    expect(read.filter((r) => r.scenario === "rwo-node-loss" && r.storageClass === "amc-block")).toHaveLength(
      2,
    );
  });
});

describe("the plan of a run with node-failure scenarios", () => {
  it("carries the fault modes the set-up passes, on the node-failure scenarios only", () => {
    const planned = plannedScenarios(allScenarios, ["kubelet-stopped", "powered-off"]);
    expect(planned.filter((s) => s.faultModes).map((s) => s.id)).toEqual([
      "rwo-node-loss",
      "rwo-node-loss-force-delete",
      "rwo-node-out-of-service",
    ]);
    expect(planned.find((s) => s.id === "rwo-cross-node")).toEqual({
      id: "rwo-cross-node",
      title: "RWO: a second pod on another node",
      accessMode: "ReadWriteOnce",
    });
    expect(plannedScenarios(allScenarios, []).some((s) => s.faultModes)).toBe(false);
  });

  it("has a case per class for each scenario, per class and mode for the node-failure ones", () => {
    const cases = plannedCases({
      scenarios: plannedScenarios(allScenarios, ["powered-off"]),
      storage: recordedPlan.storage,
    });
    expect(cases).toHaveLength(allScenarios.length * recordedPlan.storage.length);
    const twoModes = plannedCases(kindFailover.plan);
    expect(twoModes).toHaveLength(3 * 2 * 4);
    expect(twoModes.slice(0, 5).map((c) => `${c.scenario.id} ${c.faultMode} ${c.storageClass}`)).toEqual([
      "rwo-node-loss kubelet-stopped amc-block",
      "rwo-node-loss kubelet-stopped amc-local",
      "rwo-node-loss kubelet-stopped amc-shared",
      "rwo-node-loss kubelet-stopped standard",
      "rwo-node-loss powered-off amc-block",
    ]);
  });
});

describe("certification.json with node-failure results", () => {
  it("follows its published schema, complete, interrupted, and with every scenario", () => {
    expect(valid(kind)).toBe("valid");
    expect(valid(interrupted)).toBe("valid");
    expect(valid(whole)).toBe("valid");
  });

  it("is refused by the schema with a phase it does not know, or without its fencing answer", () => {
    const unknownPhase = JSON.parse(JSON.stringify(kind));
    unknownPhase.results[0].failover.phases[1].id = "node-lost";
    expect(valid(unknownPhase)).not.toBe("valid");
    const noFencing = JSON.parse(JSON.stringify(kind));
    delete noFencing.results[0].failover.fencing;
    expect(valid(noFencing)).not.toBe("valid");
  });

  it("has one result per scenario, class and fault mode, none colliding", () => {
    expect(kind.results).toHaveLength(24);
    expect(new Set(kind.results.map(caseKey)).size).toBe(24);
    const block = kind.results.filter(
      (r) => r.scenario === "rwo-node-out-of-service" && r.storageClass === "amc-block",
    );
    expect(block.map((r) => [r.faultMode, r.failover?.mode, r.failover?.totalMs])).toEqual([
      ["kubelet-stopped", "kubelet-stopped", 55635],
      ["powered-off", "powered-off", 65567],
    ]);
    expect(kind.scenarios.map((s) => s.faultModes)).toEqual([
      [...nodeFaultModes],
      [...nodeFaultModes],
      [...nodeFaultModes],
    ]);
  });

  it("sums up each fault's time, data and fencing, and says a shared finding once", () => {
    expect(kind.summary.failovers).toHaveLength(24);
    expect(
      kind.summary.failovers.find(
        (f) => caseKey(f) === "rwo-node-loss-force-delete@amc-block@kubelet-stopped",
      ),
    ).toEqual({
      scenario: "rwo-node-loss-force-delete",
      storageClass: "amc-block",
      faultMode: "kubelet-stopped",
      path: "force-delete",
      recovered: true,
      totalMs: 422136,
      budgetMs: 480000,
      data: "passed",
      fencing: "not-fenced",
    });
    const findings = kind.summary.findings;
    expect(
      findings.filter((f) => f.startsWith("no failover without intervention on amc-block")),
    ).toHaveLength(1);
    // A finding that does not name its class is said with its case.
    expect(findings).toContainEqual(
      expect.stringMatching(
        /^rwo-node-out-of-service @ amc-block \(kubelet-stopped\): not fenced: the old node kept writing/,
      ),
    );
  });

  it("lists the fault modes an interrupted run did not reach as not run", () => {
    expect(interrupted.summary.counts["not-run"]).toBe(12);
    const notRun = interrupted.results.find(
      (r) =>
        r.scenario === "rwo-node-loss" && r.storageClass === "amc-block" && r.faultMode === "powered-off",
    );
    expect(notRun).toMatchObject({ status: "not-run", reason: "not run: the run was interrupted before it" });
    expect(notRun?.failover).toBeUndefined();
  });

  it("keeps the records of a plan that named no fault modes", () => {
    const oldPlan = {
      ...kindFailover.plan,
      scenarios: kindFailover.plan.scenarios.map(({ faultModes: _, ...s }) => s),
    };
    const cert = buildCertification(oldPlan, kindFailover.records, kindFailover.end);
    const loss = cert.results.filter(
      (r) => r.scenario === "rwo-node-loss" && r.storageClass === "amc-shared",
    );
    expect(loss.map((r) => [r.status, r.faultMode ?? "none"])).toEqual([
      ["not-run", "none"],
      ["run", "kubelet-stopped"],
      ["run", "powered-off"],
    ]);
  });
});

describe("certification.md with node-failure results", () => {
  const markdown = renderMarkdown(kind);
  const lines = markdown.split("\n");
  const section = (heading: string) => {
    const start = lines.indexOf(heading);
    const end = lines.findIndex((l, i) => i > start && /^#{1,4} /.test(l));
    return lines.slice(start, end === -1 ? undefined : end);
  };

  it("has a node-failure matrix: a row per scenario and fault mode, a column per class", () => {
    const header = lines.find((l) => l.startsWith("| scenario (fault mode) |"));
    expect(header).toBe(
      "| scenario (fault mode) | `amc-block` (attachable) | `amc-local` (node-local) | `amc-shared` (shared) | `standard` (node-local) |",
    );
    expect(lines.find((l) => l.startsWith("| rwo-node-out-of-service (kubelet stopped) |"))).toBe(
      "| rwo-node-out-of-service (kubelet stopped) | FINDING: failed over in 55.6 s | FINDING: not failed over | FINDING: failed over in 48.3 s | FINDING: not failed over |",
    );
    expect(lines.find((l) => l.startsWith("| rwo-node-out-of-service (powered off) |"))).toBe(
      "| rwo-node-out-of-service (powered off) | conforms: failed over in 65.6 s | FINDING: not failed over | conforms: failed over in 52.0 s | FINDING: not failed over |",
    );
  });

  it("keeps the node-failure scenarios out of the main matrix, which has one column per other scenario", () => {
    const all = renderMarkdown(whole).split("\n");
    const header = all.find((l) => l.startsWith("| class | rwo-same-node"));
    expect(header?.split("|").length).toBe(recordedPlan.scenarios.length + 3);
    expect(header).not.toContain("rwo-node-loss");
    expect(all.filter((l) => l.startsWith("| rwo-node-loss (kubelet stopped) |"))).toHaveLength(1);
    expect(markdown).toContain(
      "Only node-failure scenarios were planned: their matrix is under [Node failure](#node-failure).",
    );
  });

  it("gives each class its results, then each timeline: phase, seconds since the fault, source, detail", () => {
    const block = section("### `amc-block` (attachable)");
    expect(block).toContain(
      "| rwo-node-loss | kubelet stopped | FINDING | not recovered within 120.0 s | n/a | n/a |",
    );
    expect(block).toContain(
      "| rwo-node-out-of-service | kubelet stopped | FINDING | 55.6 s | passed | NOT FENCED |",
    );
    const timeline = section("#### `amc-block`: rwo-node-out-of-service, kubelet stopped");
    const r = record("rwo-node-out-of-service", "amc-block", "kubelet-stopped");
    const rows = timeline.filter((l) => /^\| [a-z-]+ \| \d+\.\d \| /.test(l));
    expect(rows.map((l) => l.split(" | ")[0]?.slice(2))).toEqual(r.failover?.phases.map((p) => p.id));
    expect(rows).toContain(
      "| pod-evicted | 46.7 | event | TaintManagerEviction: Marking for deletion Pod amc-rwo-node-out-of-service-5471ea/writer-7fd7fc9d68-vjhnt (taint-eviction-controller) |",
    );
    expect(rows).toContainEqual(
      expect.stringMatching(
        /^\| replacement-refused \| 47\.2 \| event \| FailedAttachVolume: Multi-Attach error for volume "pvc-[0-9a-f-]+" Volume is already used by pod\(s\) writer-7fd7fc9d68-vjhnt \(attachdetach-controller\) \|$/,
      ),
    );
    expect(rows[0]).toBe(
      '| fault-injected | 0.0 | suite | amc-dev-worker: systemctl stop kubelet inside the node\'s container of kind cluster "amc-dev" (docker exec); its containers keep running |',
    );
  });

  it("states the total, the data and the fencing verdicts with the old writer's lines, the parameters and notes", () => {
    const timeline = section("#### `amc-block`: rwo-node-out-of-service, kubelet stopped");
    expect(timeline).toContain(
      "- Node lost → workload writing elsewhere: **55.6 s** (the path's budget: 120.0 s from its start)",
    );
    expect(timeline).toContain(
      "- Data: passed: all 18 lines of writer-7fd7fc9d68-vjhnt made durable before the fault were found by the replacement",
    );
    expect(timeline).toContainEqual(
      expect.stringMatching(/^- Fencing: NOT FENCED: not fenced: the old node kept writing/),
    );
    const fence = timeline.indexOf("```");
    expect(timeline[fence + 1]).toBe("writer-7fd7fc9d68-kcbss amc-dev-worker2 1 1796167294.798205");
    expect(timeline[fence + 2]).toMatch(/^writer-7fd7fc9d68-vjhnt amc-dev-worker 518 /);
    expect(timeline).toContain(
      "- node-monitor-grace-period: 50s (Kubernetes' default: kube-controller-manager does not set it)",
    );
    const forceDelete = section("#### `amc-block`: rwo-node-loss-force-delete, powered off");
    expect(forceDelete).toContain(
      "- the force-delete path's budget counts from the force delete, plus the attach/detach controller's 6-minute unmount wait",
    );
    expect(forceDelete).toContain(
      "- Fencing: n/a: the old node was powered off: its containers could not write",
    );
  });

  it("says running, not writing, on simulated nodes", () => {
    const local = renderMarkdown(
      buildCertification(localFailover.plan, localFailover.records, localFailover.end),
    );
    expect(local).toContain(
      "- Node lost → workload running elsewhere: **63.6 s** (the path's budget: 480.0 s from its start)",
    );
    expect(local).not.toContain("workload writing elsewhere");
  });
});

describe("a node-failure case that could not run", () => {
  // The local cluster cannot power a node off: the recorded run has its powered-off cases as lib/failover/
  // records a mode the cluster cannot inject, not applicable, a failover without phases.
  const reason =
    "this cluster cannot fail a node this way (node powered off (containers stop)); it can: kubelet stopped (containers keep running)";
  const cert = buildCertification(localFailover.plan, localFailover.records, localFailover.end);

  it("is reported not applicable with its reason, and has no timeline", () => {
    expect(valid(cert)).toBe("valid");
    expect(cert.summary.counts["not-applicable"]).toBe(9);
    expect(cert.summary.failovers.map((f) => f.faultMode)).not.toContain("powered-off");
    expect(cert.summary.failovers).toHaveLength(9);
    const markdown = renderMarkdown(cert);
    expect(markdown).toContain(`| rwo-node-loss | powered off | n/a | ${reason} | - | - |`);
    expect(markdown).toContain("#### `amc-block`: rwo-node-loss, kubelet stopped");
    expect(markdown).not.toContain("#### `amc-block`: rwo-node-loss, powered off");
    expect(renderHtml(cert).match(/<figure class="failover" /g)).toHaveLength(9);
  });
});

describe("junit.xml and the summary with node-failure results", () => {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(renderJUnit(kind));
  const cases = [parsed.testsuites.testsuite].flat().flatMap((s: { testcase: object[] }) => s.testcase) as {
    name: string;
    "system-out"?: string;
  }[];

  it("names each fault mode's case apart", () => {
    expect(XMLValidator.validate(renderJUnit(interrupted))).toBe(true);
    expect(new Set(cases.map((c) => c.name)).size).toBe(24);
    expect(cases.map((c) => c.name)).toContain("rwo-node-loss @ amc-block (kubelet-stopped)");
    expect(cases.map((c) => c.name)).toContain("rwo-node-loss @ amc-block (powered-off)");
  });

  it("carries the timeline and the verdicts in the case's output", () => {
    const out = cases.find((c) => c.name === "rwo-node-out-of-service @ amc-block (kubelet-stopped)")?.[
      "system-out"
    ];
    expect(out).toContain(
      "failover (kubelet-stopped, path out-of-service): amc-dev-worker: systemctl stop kubelet",
    );
    expect(out).toMatch(/\n {2}\+46\.7 s pod-evicted \[event, seen 94 ms later\]: TaintManagerEviction: /);
    expect(out).toContain("failover total: 55.6 s");
    expect(out).toContain("fencing: NOT FENCED: not fenced");
  });

  it("gives the summary a line per fault mode, and the node-failure times", () => {
    const text = summarize(kind);
    expect(text).toMatch(/\n {2}rwo-node-loss @ amc-block \(kubelet-stopped\) +FINDING +not failed over: /);
    expect(text).toMatch(/\n {2}rwo-node-loss @ amc-block \(powered-off\) +FINDING +not failed over: /);
    expect(text).toContain("node failure (node lost → workload writing elsewhere):");
    expect(text).toMatch(
      /\n {2}rwo-node-loss-force-delete @ amc-block \(kubelet-stopped\) +422\.1 s; data passed; fencing NOT FENCED/,
    );
  });
});

describe("certification.html with node-failure results", () => {
  const html = renderHtml(kind);

  it("keeps the node-failure scenarios out of the main matrix, whose headers stay aligned", () => {
    const page = renderHtml(whole);
    const main = page.match(/<table class="matrix"><thead>([\s\S]*?)<\/thead>/)?.[1] ?? "";
    const spans = [...main.matchAll(/colspan="(\d+)"/g)].map((m) => Number(m[1]));
    const columns = main.match(/<th scope="col" title=/g) ?? [];
    expect(columns).toHaveLength(recordedPlan.scenarios.length);
    expect(spans.reduce((a, b) => a + b, 0)).toBe(columns.length);
    expect(main).not.toContain("rwo-node-loss");
    const failoverMatrix = page.match(/<table class="matrix failover-matrix">[\s\S]*?<\/table>/)?.[0] ?? "";
    expect(failoverMatrix.match(/<th scope="row"/g)).toHaveLength(6);
    expect(failoverMatrix.match(/<td class="cell /g)).toHaveLength(6 * recordedPlan.storage.length);
  });

  it("draws a timeline per result that injected its fault, one mark per phase", () => {
    const figures = html.match(/<figure class="failover" [^>]*>[\s\S]*?<\/figure>/g) ?? [];
    expect(figures).toHaveLength(kind.summary.failovers.length);
    const figure = figures.find((f) =>
      f.includes(
        'data-scenario="rwo-node-loss-force-delete" data-class="amc-block" data-mode="kubelet-stopped"',
      ),
    ) as string;
    const phases =
      record("rwo-node-loss-force-delete", "amc-block", "kubelet-stopped").failover?.phases ?? [];
    expect(figure.match(/<circle class="phase /g)).toHaveLength(phases.length);
    expect(figure).toContain('<li class="data" data-status="passed">');
    expect(figure).toContain('<li class="fencing" data-status="not-fenced">');
    expect(figure).toContain("<strong>422.1 s</strong>");
  });
});
