import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { caseName } from "./cases.ts";
import { buildCertification } from "./certification.ts";
import type { Certification, CertificationResult } from "./document.ts";
import { renderSonobuoyResults, type SonobuoyItem, sonobuoyResults } from "./sonobuoy.ts";
import {
  kindAccessSpace,
  kindFailover,
  kindWorkloads,
  kindZones,
  localFailover,
  localPreemptionNamespaces,
  recordedEnd,
  recordedPlan,
  recordedRecords,
} from "./testdata/fixture.ts";

/**
 * sonobuoy_results.yaml from the recorded runs of lib/report/testdata: every
 * verdict they hold (conforms, finding, not applicable; not run when the run
 * is cut short), about the storage and about the control plane, with and
 * without fault modes. No recorded run deviates or is inconclusive: those two
 * are a recorded result with only its verdict changed.
 */

const complete = buildCertification(recordedPlan, recordedRecords, recordedEnd);
// The same run cut short: only the ReadWriteOnce scenarios had run when it was interrupted.
const interrupted = buildCertification(
  recordedPlan,
  recordedRecords.filter((r) => r.accessMode === "ReadWriteOnce"),
  { finishedAt: recordedEnd.finishedAt, status: "interrupted" },
);
const failover = buildCertification(localFailover.plan, localFailover.records, localFailover.end);
const controlPlane = buildCertification(
  localPreemptionNamespaces.plan,
  localPreemptionNamespaces.records,
  localPreemptionNamespaces.end,
);
const recorded: Record<string, Certification> = {
  complete,
  interrupted,
  "local-failover": failover,
  "local-preemption-namespaces": controlPlane,
  "kind-failover": buildCertification(kindFailover.plan, kindFailover.records, kindFailover.end),
  "kind-workloads": buildCertification(kindWorkloads.plan, kindWorkloads.records, kindWorkloads.end),
  "kind-access-space": buildCertification(kindAccessSpace.plan, kindAccessSpace.records, kindAccessSpace.end),
  "kind-zones": buildCertification(kindZones.plan, kindZones.records, kindZones.end),
};

function leafOf(item: SonobuoyItem, name: string): SonobuoyItem {
  const found = item.items?.filter((i) => i.name === name) ?? [];
  expect(found, name).toHaveLength(1);
  return found[0] as SonobuoyItem;
}

function resultOf(cert: Certification, scenario: string, storageClass: string): CertificationResult {
  const found = cert.results.find(
    (r) => r.scenario === scenario && r.storageClass === storageClass && !r.faultMode,
  );
  if (!found) throw new Error(`no result ${scenario} @ ${storageClass}`);
  return found;
}

/** A copy of the document with one recorded result's verdict changed. */
function withVerdict(cert: Certification, name: string, verdict: "deviates" | "inconclusive"): Certification {
  return { ...cert, results: cert.results.map((r) => (caseName(r) === name ? { ...r, verdict } : r)) };
}

describe("sonobuoy_results.yaml", () => {
  it("has one leaf per result, flat under the root, in the results' order, named as junit.xml's cases", () => {
    for (const [run, cert] of Object.entries(recorded)) {
      const item = sonobuoyResults(cert);
      expect(item.name).toBe("access-mode-conformance");
      expect(item.items, run).toHaveLength(cert.results.length);
      expect(
        item.items?.map((i) => i.name),
        run,
      ).toEqual(cert.results.map(caseName));
      expect(item.items?.every((i) => i.items === undefined)).toBe(true);
      // The two fault modes of a node-failure scenario on a class are two leaves, never one name.
      expect(new Set(item.items?.map((i) => i.name)).size, run).toBe(cert.results.length);
    }
    expect(
      sonobuoyResults(failover)
        .items?.slice(0, 4)
        .map((i) => i.name),
    ).toEqual([
      "rwo-node-loss @ amc-block (kubelet-stopped)",
      "rwo-node-loss @ amc-local (kubelet-stopped)",
      "rwo-node-loss @ amc-shared (kubelet-stopped)",
      "rwo-node-loss @ amc-block (powered-off)",
    ]);
  });

  it("maps every recorded verdict as junit.xml does: not applicable and not run skipped, never passed", () => {
    const expected = {
      conforms: "passed",
      finding: "passed",
      "not-applicable": "skipped",
      "not-run": "skipped",
    } as const;
    const seen = new Set<string>();
    for (const [run, cert] of Object.entries(recorded)) {
      sonobuoyResults(cert).items?.forEach((leaf, i) => {
        const verdict = cert.results[i]?.verdict ?? "not-run";
        seen.add(verdict);
        expect(verdict in expected, `${run}: ${leaf.name} is ${verdict}`).toBe(true);
        expect(leaf.status, `${run}: ${leaf.name}`).toBe(expected[verdict as keyof typeof expected]);
        expect(leaf.details?.verdict).toBe(verdict);
        expect(leaf.details?.reason).toBe(cert.results[i]?.reason);
      });
    }
    // The recorded runs hold all four: the test saw each of them.
    expect([...seen].sort()).toEqual(["conforms", "finding", "not-applicable", "not-run"]);
  });

  it("passes a conforming result with its case and evidence in the details", () => {
    const result = resultOf(complete, "rwo-cross-node", "amc-block");
    expect(result.verdict).toBe("conforms");
    const leaf = leafOf(sonobuoyResults(complete), "rwo-cross-node @ amc-block");
    expect(leaf.status).toBe("passed");
    expect(leaf.details).toEqual({
      verdict: "conforms",
      reason: result.reason,
      scenario: "rwo-cross-node",
      storageClass: "amc-block",
      accessMode: "ReadWriteOnce",
      evidence: expect.stringMatching(/^CONFORMS: /),
    });
    expect(leaf.details?.evidence).toMatch(/Multi-Attach error for volume/);
  });

  it("passes a finding, and says it is one with its text", () => {
    const leaf = leafOf(sonobuoyResults(complete), "rwo-cross-node @ amc-shared");
    expect(leaf.status).toBe("passed");
    expect(leaf.details?.verdict).toBe("finding");
    expect(leaf.details?.finding).toBe(
      "RWO is not enforced across nodes on amc-shared: two pods on two nodes use the same volume",
    );
    expect(complete.summary.findings).toContain(leaf.details?.finding);
    expect(leaf.details?.evidence).toMatch(/^FINDING: RWO is not enforced across nodes on amc-shared/);
    // No other verdict carries a finding.
    const others = sonobuoyResults(complete).items?.filter((i) => i.details?.verdict !== "finding");
    expect(others?.filter((i) => "finding" in (i.details ?? {}))).toEqual([]);
  });

  it("skips a not applicable result with its reason", () => {
    const leaf = leafOf(sonobuoyResults(complete), "rwo-handoff @ amc-local");
    expect(leaf.status).toBe("skipped");
    expect(leaf.details?.verdict).toBe("not-applicable");
    expect(leaf.details?.reason).toMatch(
      /^only attachable storage is handed over between nodes; amc-local is node-local/,
    );
    expect(leaf.details?.evidence).toMatch(/^NOT-APPLICABLE: only attachable storage/);
  });

  it("skips a node-failure mode the cluster cannot inject, per fault mode", () => {
    const item = sonobuoyResults(failover);
    const poweredOff = leafOf(item, "rwo-node-loss @ amc-block (powered-off)");
    expect(poweredOff.status).toBe("skipped");
    expect(poweredOff.details).toMatchObject({
      verdict: "not-applicable",
      scenario: "rwo-node-loss",
      storageClass: "amc-block",
      faultMode: "powered-off",
      reason: expect.stringMatching(/^this cluster cannot fail a node this way \(node powered off/),
    });
    const kubeletStopped = leafOf(item, "rwo-node-loss @ amc-block (kubelet-stopped)");
    expect(kubeletStopped.status).toBe("passed");
    expect(kubeletStopped.details).toMatchObject({ verdict: "finding", faultMode: "kubelet-stopped" });
    expect(kubeletStopped.details?.evidence).toMatch(/\nfailover \(kubelet-stopped, path none\): /);
  });

  it("skips a result the interrupted run did not reach, with its reason", () => {
    const leaf = leafOf(sonobuoyResults(interrupted), "rwx-cross-node @ amc-shared");
    expect(leaf.status).toBe("skipped");
    expect(leaf.details?.verdict).toBe("not-run");
    expect(leaf.details?.reason).toBe("not run: the run was interrupted before it");
  });

  it("says which results are about the control plane, not the storage", () => {
    const item = sonobuoyResults(controlPlane);
    const leaf = leafOf(item, "rwop-preemption-namespaces @ amc-block");
    expect(leaf.status).toBe("passed");
    expect(leaf.details).toMatchObject({ verdict: "finding", subject: "control-plane" });
    expect(leaf.details?.finding).toMatch(
      /^the control plane, not the storage, did otherwise than documented/,
    );
    expect(item.items?.filter((i) => i.details?.subject === "control-plane").map((i) => i.name)).toEqual([
      "rwop-preemption-namespaces @ amc-block",
      "rwop-preemption-namespaces @ amc-local",
      "rwop-preemption-namespaces @ amc-shared",
    ]);
    expect(leafOf(item, "rwop-preemption @ amc-block").details?.subject).toBeUndefined();
  });

  it("fails a deviation and leaves an inconclusive result unknown", () => {
    const deviates = sonobuoyResults(withVerdict(complete, "rwo-cross-node @ amc-block", "deviates"));
    const failed = leafOf(deviates, "rwo-cross-node @ amc-block");
    expect(failed.status).toBe("failed");
    expect(failed.details?.verdict).toBe("deviates");
    expect(failed.details?.evidence).toMatch(/^DEVIATES: /);
    expect(failed.details?.finding).toBeUndefined();
    const inconclusive = sonobuoyResults(withVerdict(complete, "rwo-cross-node @ amc-block", "inconclusive"));
    const unknown = leafOf(inconclusive, "rwo-cross-node @ amc-block");
    expect(unknown.status).toBe("unknown");
    expect(unknown.details?.verdict).toBe("inconclusive");
  });
});

describe("the root item", () => {
  it("carries the run and the cluster, and certification.json's digest when given", () => {
    const digest = "0".repeat(64);
    expect(sonobuoyResults(complete, digest).details).toEqual({
      runId: "20261121t121940-db37",
      runStatus: "complete",
      clusterProvider: "local",
      clusterName: "amc-93fbd7",
      kubernetesVersion: "v1.36.3",
      certificationSha256: digest,
    });
    expect(sonobuoyResults(complete).details).not.toHaveProperty("certificationSha256");
    expect(sonobuoyResults(interrupted).details?.runStatus).toBe("interrupted");
  });

  it("passes when no leaf failed or is unknown and one passed, as Sonobuoy aggregates", () => {
    // conforms, finding and not applicable.
    expect(sonobuoyResults(complete).status).toBe("passed");
    // conforms and finding with not run: the run's status is in the details, not the aggregate.
    expect(sonobuoyResults(interrupted).status).toBe("passed");
    expect(sonobuoyResults(controlPlane).status).toBe("passed");
  });

  it("fails when one leaf failed, unknown or not, and is unknown when one is and none failed", () => {
    const one = withVerdict(complete, "rwo-cross-node @ amc-block", "deviates");
    expect(sonobuoyResults(one).status).toBe("failed");
    const both = withVerdict(one, "rwo-same-node @ amc-block", "inconclusive");
    expect(sonobuoyResults(both).status).toBe("failed");
    expect(sonobuoyResults(withVerdict(complete, "rwo-same-node @ amc-block", "inconclusive")).status).toBe(
      "unknown",
    );
  });

  it("is unknown, never passed, when every leaf was skipped or there is none", () => {
    // Interrupted before any scenario ran: every result not run.
    const nothingRan = buildCertification(recordedPlan, [], {
      finishedAt: recordedEnd.finishedAt,
      status: "interrupted",
    });
    const skipped = sonobuoyResults(nothingRan);
    expect(skipped.items).toHaveLength(recordedPlan.scenarios.length * recordedPlan.storage.length);
    expect(skipped.items?.every((i) => i.status === "skipped")).toBe(true);
    expect(skipped.status).toBe("unknown");
    // Only the not applicable results of a complete run.
    const notApplicable = {
      ...complete,
      results: complete.results.filter((r) => r.verdict === "not-applicable"),
    };
    expect(notApplicable.results).toHaveLength(7);
    expect(sonobuoyResults(notApplicable).status).toBe("unknown");
    const empty = sonobuoyResults({ ...complete, results: [] });
    expect(empty.status).toBe("unknown");
    expect(empty).not.toHaveProperty("items");
  });
});

describe("its YAML", () => {
  it("parses back to the same item, in YAML 1.2 and in the YAML 1.1 Sonobuoy's decoder reads", () => {
    for (const [run, cert] of Object.entries(recorded)) {
      const text = renderSonobuoyResults(cert, "f".repeat(64));
      expect(parse(text), run).toEqual(sonobuoyResults(cert, "f".repeat(64)));
      expect(parse(text, { version: "1.1" }), run).toEqual(sonobuoyResults(cert, "f".repeat(64)));
    }
  });

  it("has only string details, and starts with the root's name and status", () => {
    const text = renderSonobuoyResults(complete);
    expect(text.startsWith("name: access-mode-conformance\nstatus: passed\ndetails:\n  runId: ")).toBe(true);
    const parsed = parse(text) as SonobuoyItem;
    const details = [parsed.details, ...(parsed.items ?? []).map((i) => i.details)];
    expect(details).toHaveLength(complete.results.length + 1);
    for (const d of details) {
      expect(d).toBeDefined();
      for (const value of Object.values(d ?? {})) expect(typeof value).toBe("string");
    }
    expect(text).toContain("\n  - name: rwo-handoff @ amc-local\n    status: skipped\n");
  });

  it("quotes a value YAML 1.1 would read as a boolean", () => {
    const yes = { ...complete, cluster: { ...complete.cluster, name: "yes" } };
    const text = renderSonobuoyResults(yes);
    expect(text).toContain('  clusterName: "yes"\n');
    expect(parse(text, { version: "1.1" }).details.clusterName).toBe("yes");
  });
});
