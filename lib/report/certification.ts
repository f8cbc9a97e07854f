import type { ScenarioRecord, StorageProfile } from "../scenario/types.ts";
import {
  CERTIFICATION_SCHEMA,
  type Certification,
  type CertificationResult,
  type RunStatus,
} from "./document.ts";
import type { RunPlan } from "./plan.ts";

/**
 * Builds the certification document (document.ts) from one run's plan and
 * records. A vendor profile's claims are checked on the built document
 * (lib/profile/claims.ts, withClaims).
 */

export const controlPlaneNote =
  "Control-plane fidelity: the nodes of this cluster are simulated (kwok). The API server, scheduler, " +
  "attach/detach controller and CSI sidecars are real and their decisions are what this report shows; " +
  "nothing here was mounted by a kubelet, and kubelet-level checks were not run.";

function fromRecord(record: ScenarioRecord): CertificationResult {
  return {
    scenario: record.scenario,
    title: record.title,
    accessMode: record.accessMode,
    storageClass: record.storageClass,
    status: "run",
    verdict: record.verdict,
    reason: record.reason,
    ...(record.expected ? { expected: record.expected } : {}),
    ...(record.observed ? { observed: record.observed } : {}),
    nodes: record.nodes,
    checks: record.checks,
    evidence: record.evidence,
    timings: record.timings,
    ...(record.cleanupNotes ? { cleanupNotes: record.cleanupNotes } : {}),
  };
}

function classEntry(profile: StorageProfile): Certification["storageClasses"][number] {
  return {
    name: profile.className,
    provisioner: profile.provisioner,
    volumeBindingMode: profile.volumeBindingMode,
    csiDriver: profile.csiDriver ?? null,
    family: profile.family,
    familyReason: profile.familyReason,
  };
}

export function buildCertification(
  plan: RunPlan,
  records: readonly ScenarioRecord[],
  end: { finishedAt: string; status: RunStatus },
): Certification {
  const results: CertificationResult[] = [];
  for (const scenario of plan.scenarios) {
    for (const profile of plan.storage) {
      const record = records.find((r) => r.scenario === scenario.id && r.storageClass === profile.className);
      results.push(
        record
          ? fromRecord(record)
          : {
              scenario: scenario.id,
              title: scenario.title,
              accessMode: scenario.accessMode,
              storageClass: profile.className,
              status: "not-run",
              reason: `not run: the run ${end.status === "complete" ? "did not reach it" : `was ${end.status} before it`}`,
              checks: [],
            },
      );
    }
  }
  const counts = { conforms: 0, deviates: 0, finding: 0, "not-applicable": 0, inconclusive: 0, "not-run": 0 };
  for (const result of results) counts[result.verdict ?? "not-run"]++;
  const zones = [...new Set(plan.schedulableNodes.flatMap((n) => (n.zone ? [n.zone] : [])))].sort();
  const certification: Certification = {
    schema: CERTIFICATION_SCHEMA,
    suite: plan.suite,
    run: { id: plan.runId, startedAt: plan.startedAt, finishedAt: end.finishedAt, status: end.status },
    ...(plan.cluster.fidelity === "control-plane" ? { fidelityNote: controlPlaneNote } : {}),
    cluster: {
      provider: plan.cluster.provider,
      name: plan.cluster.name,
      kubernetesVersion: plan.cluster.kubernetesVersion,
      fidelity: plan.cluster.fidelity,
      nodes: plan.schedulableNodes,
      zones,
      excludedNodes: plan.excludedNodes,
    },
    storageClasses: plan.storage.map(classEntry),
    scenarios: plan.scenarios,
    results,
    summary: {
      counts,
      findings: results.filter((r) => r.verdict === "finding").map((r) => r.reason),
      handoffs: results.flatMap((r) =>
        r.timings?.handoffMs === undefined
          ? []
          : [
              {
                storageClass: r.storageClass,
                handoffMs: r.timings.handoffMs,
                ...(r.timings.detachMs !== undefined ? { detachMs: r.timings.detachMs } : {}),
                ...(r.timings.attachMs !== undefined ? { attachMs: r.timings.attachMs } : {}),
              },
            ],
      ),
    },
  };
  return certification;
}
