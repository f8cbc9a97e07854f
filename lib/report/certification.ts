import type { ScenarioRecord, StorageProfile } from "../scenario/types.ts";
import { aboutControlPlane, caseKey, caseName, sameCase } from "./cases.ts";
import {
  CERTIFICATION_SCHEMA,
  type Certification,
  type CertificationResult,
  type FailoverSummary,
  type RunStatus,
} from "./document.ts";
import { type PlannedCase, plannedCases, type RunPlan } from "./plan.ts";

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
    ...(record.accessModes ? { accessModes: record.accessModes } : {}),
    ...(record.volumeMode ? { volumeMode: record.volumeMode } : {}),
    storageClass: record.storageClass,
    ...(record.failover ? { faultMode: record.failover.mode } : {}),
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
    ...(record.failover ? { failover: record.failover } : {}),
    ...(record.subject ? { subject: record.subject } : {}),
  };
}

/** What a record is about, as a case: a node-failure record is about its fault mode too. */
const recordCase = (r: ScenarioRecord) => ({
  scenario: r.scenario,
  storageClass: r.storageClass,
  faultMode: r.failover?.mode,
});

function notRun(planned: PlannedCase, status: RunStatus): CertificationResult {
  return {
    scenario: planned.scenario.id,
    title: planned.scenario.title,
    accessMode: planned.scenario.accessMode,
    ...(planned.scenario.accessModes ? { accessModes: planned.scenario.accessModes } : {}),
    ...(planned.scenario.volumeMode ? { volumeMode: planned.scenario.volumeMode } : {}),
    storageClass: planned.storageClass,
    ...(planned.faultMode ? { faultMode: planned.faultMode } : {}),
    ...(planned.scenario.subject ? { subject: planned.scenario.subject } : {}),
    status: "not-run",
    reason: `not run: the run ${status === "complete" ? "did not reach it" : `was ${status} before it`}`,
    checks: [],
  };
}

/**
 * A finding in plain words: its reason, which names the class it is about;
 * a node-failure finding that does not (not fenced: ...) is prefixed with its case.
 */
function findingText(r: CertificationResult): string {
  return r.faultMode && !r.reason.includes(r.storageClass) ? `${caseName(r)}: ${r.reason}` : r.reason;
}

function failoverSummary(r: CertificationResult): FailoverSummary[] {
  const f = r.failover;
  if (!f || r.status !== "run" || f.phases.length === 0) return [];
  return [
    {
      scenario: r.scenario,
      storageClass: r.storageClass,
      faultMode: f.mode,
      path: f.path,
      recovered: f.recovered,
      ...(f.totalMs !== undefined ? { totalMs: f.totalMs } : {}),
      budgetMs: f.budgetMs,
      data: f.data.status,
      fencing: f.fencing.status,
    },
  ];
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
  const cases = plannedCases(plan);
  const used = new Set<ScenarioRecord>();
  for (const scenario of plan.scenarios) {
    for (const planned of cases.filter((c) => c.scenario === scenario)) {
      const record = records.find(
        (r) =>
          !used.has(r) &&
          sameCase(recordCase(r), {
            scenario: scenario.id,
            storageClass: planned.storageClass,
            faultMode: planned.faultMode,
          }),
      );
      if (record) used.add(record);
      results.push(record ? fromRecord(record) : notRun(planned, end.status));
    }
    // A record of a planned scenario and class the plan has no case for (a fault mode it did not
    // name, or a plan written before modes were planned) is reported too, after the planned ones.
    const extra = records
      .filter(
        (r) =>
          !used.has(r) &&
          r.scenario === scenario.id &&
          plan.storage.some((p) => p.className === r.storageClass),
      )
      .sort((a, b) => caseKey(recordCase(a)).localeCompare(caseKey(recordCase(b))));
    for (const record of extra) {
      used.add(record);
      results.push(fromRecord(record));
    }
  }
  // The storage's verdicts and the control plane's are counted apart.
  const counts = { conforms: 0, deviates: 0, finding: 0, "not-applicable": 0, inconclusive: 0, "not-run": 0 };
  const clusterCounts = { ...counts };
  for (const result of results) {
    (aboutControlPlane(result) ? clusterCounts : counts)[result.verdict ?? "not-run"]++;
  }
  const anyAboutCluster = results.some((r) => aboutControlPlane(r));
  const zones = [...new Set(plan.schedulableNodes.flatMap((n) => (n.zone ? [n.zone] : [])))].sort();
  const certification: Certification = {
    schema: CERTIFICATION_SCHEMA,
    suite: plan.suite,
    run: {
      id: plan.runId,
      startedAt: plan.startedAt,
      finishedAt: end.finishedAt,
      status: end.status,
      ...(plan.mergedFrom ? { mergedFrom: plan.mergedFrom } : {}),
    },
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
      ...(anyAboutCluster ? { clusterCounts } : {}),
      // The two fault modes of a node-failure scenario often find the same thing: it is said once.
      findings: [
        ...new Set(results.filter((r) => r.verdict === "finding" && !aboutControlPlane(r)).map(findingText)),
      ],
      clusterFindings: results
        .filter((r) => r.verdict === "finding" && aboutControlPlane(r))
        .map((r) => `Kubernetes ${plan.cluster.kubernetesVersion}, ${caseName(r)}: ${r.reason}`),
      handoffs: results.flatMap((r) =>
        r.timings?.handoffMs === undefined
          ? []
          : [
              {
                scenario: r.scenario,
                storageClass: r.storageClass,
                handoffMs: r.timings.handoffMs,
                ...(r.timings.detachMs !== undefined ? { detachMs: r.timings.detachMs } : {}),
                ...(r.timings.attachMs !== undefined ? { attachMs: r.timings.attachMs } : {}),
              },
            ],
      ),
      failovers: results.flatMap(failoverSummary),
    },
  };
  return certification;
}
