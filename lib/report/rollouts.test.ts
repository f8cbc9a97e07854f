import { describe, expect, it } from "vitest";
import { buildCertification } from "./certification.ts";
import { renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { rolloutDurations, stalledRolloutSentences } from "./rollouts.ts";
import { summarize } from "./summary.ts";
import { kindWorkloads } from "./testdata/fixture.ts";

/** The workloads family in the reports, from its recorded run on kind (lib/report/testdata/kind-workloads). */
const cert = buildCertification(kindWorkloads.plan, kindWorkloads.records, kindWorkloads.end);

describe("the rollouts in the reports", () => {
  it("explain each stall by what blocked it, with the remedy that fits", () => {
    const sentences = stalledRolloutSentences(cert.results);
    const of = (prefix: string) => sentences.find((s) => s.startsWith(prefix)) ?? "";
    expect(of("rwo-rollout on `amc-block`")).toMatch(
      /stalls \(Multi-Attach\).*use `Recreate` or `maxSurge: 0` with RWO claims on attachable storage/,
    );
    expect(of("rwo-rollout on `standard`")).toMatch(/stalls \(volume node affinity\).*whatever the strategy/);
    expect(of("rwop-rollout on `amc-shared`")).toMatch(
      /stalls \(ReadWriteOncePod\).*use `Recreate` with RWOP claims/,
    );
    expect(of("rwo-statefulset-reschedule on `amc-local`")).toMatch(/volume node affinity/);
    // Only what stalled: 3 classes' rwo-rollout but amc-shared, every rwop-rollout, two StatefulSets.
    expect(sentences).toHaveLength(3 + 4 + 2);
  });

  it("list every completed rollout, with the detach and the attach where the volume moved by attach", () => {
    const durations = rolloutDurations(cert.results);
    expect(durations.map((d) => `${d.scenario} @ ${d.storageClass}`)).toContain(
      "rwo-rollout-recreate @ amc-block",
    );
    const recreate = durations.find(
      (d) => d.scenario === "rwo-rollout-recreate" && d.storageClass === "amc-block",
    );
    expect(recreate).toMatchObject({ rolloutMs: 12_334, detachMs: 7738, attachMs: 1061 });
    // A rolling update on shared storage ran the new pod before the old one was deleted: no downtime to give.
    const shared = durations.find((d) => d.scenario === "rwo-rollout" && d.storageClass === "amc-shared");
    expect(shared).toEqual({ scenario: "rwo-rollout", storageClass: "amc-shared" });
    expect(durations.filter((d) => d.storageClass === "amc-shared" && d.attachMs !== undefined)).toEqual([]);
  });

  it("show both in the Markdown, the HTML and the console summary", () => {
    const markdown = renderMarkdown(cert);
    expect(markdown).toContain("## Rollouts");
    expect(markdown).toContain("| rwo-rollout-recreate | `amc-block` | 12.3 s | 7738 ms | 1061 ms |");
    expect(markdown).toMatch(/\| `amc-block` \(attachable\) \| conforms: rollout stalled \|/);
    const html = renderHtml(cert);
    expect(html).toContain("<h2>Rollouts</h2>");
    expect(html).toContain("use <code>Recreate</code> or <code>maxSurge: 0</code>");
    const summary = summarize(cert);
    expect(summary).toContain("rollouts that stall:");
    expect(summary).toMatch(/rwo-rollout-recreate @ amc-block +12\.3 s \(detach 7738 ms, attach 1061 ms\)/);
  });
});
