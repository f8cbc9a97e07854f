import type { ProviderId } from "../../clusters/types.ts";
import { type CertificationClaims, evaluateClaims } from "../profile/claims.ts";
import type { StoredProfile } from "../profile/profile.ts";
import type {
  AccessMode,
  Check,
  EventEvidence,
  Expectation,
  ObjectEvidence,
  Outcome,
  RunRecord,
  RunTimings,
  ScenarioId,
  StorageFamily,
  StorageProfile,
  Verdict,
} from "../scenario/types.ts";
import type { RunPlan } from "./plan.ts";

/**
 * The certification document: one run's plan and records, arranged for the
 * people who certify storage. Its JSON form is versioned and described by
 * certification.schema.json; the Markdown, HTML and JUnit forms are rendered
 * from it, and nothing in them is derived anew from the cluster.
 */

export const CERTIFICATION_SCHEMA = "access-mode-conformance/certification@1";

export type RunStatus = "complete" | "failed" | "interrupted";

export interface CertificationResult {
  scenario: ScenarioId;
  title: string;
  accessMode: AccessMode;
  storageClass: string;
  /** not-run: planned, but the run ended (failed, interrupted) before it. */
  status: "run" | "not-run";
  verdict?: Verdict;
  reason: string;
  expected?: Expectation;
  observed?: { outcome: Outcome; summary: string; decidedBy?: EventEvidence };
  nodes?: { a?: string; b?: string; reason: string };
  checks: Check[];
  evidence?: { events: EventEvidence[]; objects: ObjectEvidence[]; manifests: Record<string, string> };
  timings?: RunTimings;
  cleanupNotes?: string[];
}

export interface Certification {
  schema: typeof CERTIFICATION_SCHEMA;
  suite: { name: string; version: string };
  run: { id: string; startedAt: string; finishedAt: string; status: RunStatus };
  /** Set when the run could not observe kubelet-level behaviour: every form shows it first. */
  fidelityNote?: string;
  cluster: {
    provider: ProviderId;
    name: string;
    kubernetesVersion: string;
    fidelity: "control-plane" | "full";
    nodes: { name: string; zone?: string }[];
    zones: string[];
    excludedNodes: { name: string; why: string }[];
  };
  storageClasses: {
    name: string;
    provisioner: string;
    volumeBindingMode: string;
    csiDriver: { name: string; attachRequired: boolean } | null;
    family: StorageFamily;
    familyReason: string;
  }[];
  scenarios: { id: ScenarioId; title: string; accessMode: AccessMode }[];
  results: CertificationResult[];
  summary: {
    counts: Record<Verdict | "not-run", number>;
    findings: string[];
    handoffs: { storageClass: string; handoffMs: number; detachMs?: number; attachMs?: number }[];
  };
  /** Present when the run checked a vendor profile (amc certify): each claim held, broken or not checked. */
  claims?: CertificationClaims;
}

export const controlPlaneNote =
  "Control-plane fidelity: the nodes of this cluster are simulated (kwok). The API server, scheduler, " +
  "attach/detach controller and CSI sidecars are real and their decisions are what this report shows; " +
  "nothing here was mounted by a kubelet, and kubelet-level checks were not run.";

function fromRecord(record: RunRecord): CertificationResult {
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
  records: readonly RunRecord[],
  end: { finishedAt: string; status: RunStatus },
  profile?: StoredProfile,
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
  return profile ? { ...certification, claims: evaluateClaims(profile, certification) } : certification;
}
