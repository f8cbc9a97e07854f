import { describe, expect, it } from "vitest";
import { buildCertification } from "./certification.ts";
import { renderHtml } from "./html.ts";
import { renderJUnit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { summarize } from "./summary.ts";
import { localPreemptionNamespaces as run } from "./testdata/fixture.ts";

/**
 * A finding about the cluster's control plane, kept apart from the storage's
 * verdicts in every form: rwop-preemption-namespaces on the local cluster
 * (lib/report/testdata/local-preemption-namespaces), where kube-scheduler
 * v1.36.3 preempted the other namespace's holder on every class.
 */
const cert = buildCertification(run.plan, run.records, run.end);

describe("a finding about the cluster's control plane", () => {
  it("is counted apart from the storage's verdicts, and said with the Kubernetes version", () => {
    expect(cert.summary.counts).toMatchObject({ conforms: 3, finding: 0 });
    expect(cert.summary.clusterCounts).toMatchObject({ conforms: 0, finding: 3 });
    expect(cert.summary.findings).toEqual([]);
    expect(cert.summary.clusterFindings).toHaveLength(3);
    expect(cert.summary.clusterFindings?.[0]).toMatch(
      /^Kubernetes v1\.36\.3, rwop-preemption-namespaces @ amc-block: the control plane, not the storage, did otherwise than documented: the scheduler preempted amc-rwop-preemption-namespaces-n-[0-9a-f]+\/neighbour-pod/,
    );
    expect(cert.results.filter((r) => r.subject === "control-plane")).toHaveLength(3);
  });

  it("has no column in the storage matrix, and a section of its own in the Markdown and the HTML", () => {
    const markdown = renderMarkdown(cert);
    expect(markdown).toContain("| class | rwop-preemption |\n");
    expect(markdown).toContain("## The cluster's control plane");
    expect(markdown).toMatch(
      /- `rwop-preemption-namespaces @ amc-local`: FINDING: the control plane, not the storage/,
    );
    expect(markdown).toMatch(/## Findings\n\nNone\./);
    const html = renderHtml(cert);
    expect(html).toContain("<h2>The cluster's control plane</h2>");
    expect(html).not.toMatch(/<th[^>]*>rwop-preemption-namespaces<\/th>/);
  });

  it("is a JUnit suite of its own, and a section of the summary at the end of the run", () => {
    const junit = renderJUnit(cert);
    expect(junit).toMatch(/<testsuite name="control plane" tests="3"/);
    expect(junit).toMatch(/<testsuite name="ReadWriteOncePod \(RWOP\)" tests="3"/);
    expect(summarize(cert)).toContain(
      "findings about the cluster's control plane (its Kubernetes, not the storage):",
    );
  });

  it("is known from the plan and the records, also for a case that did not run", () => {
    // The run's plan says which scenarios are about the control plane: no record needed.
    const interrupted = buildCertification(run.plan, [], {
      finishedAt: run.end.finishedAt,
      status: "interrupted",
    });
    expect(interrupted.summary.counts["not-run"]).toBe(3);
    expect(interrupted.summary.clusterCounts?.["not-run"]).toBe(3);
    expect(renderMarkdown(interrupted)).toContain("| class | rwop-preemption |\n");
  });
});
