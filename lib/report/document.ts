import type { NodeFaultMode } from "../cluster/contract.ts";
import type { ProviderId } from "../cluster/fidelity.ts";
import type {
  AccessMode,
  Check,
  EventEvidence,
  Expectation,
  FailoverPath,
  FailoverRecord,
  FencingResult,
  ObjectEvidence,
  Outcome,
  RunTimings,
  ScenarioId,
  StorageFamily,
  Verdict,
} from "../scenario/types.ts";
import type { PlannedScenario } from "./plan.ts";

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
  /** Every access mode the claim asked for, when more than one (the mixed-mode scenarios). */
  accessModes?: AccessMode[];
  /** Block: the claim was a raw block device. */
  volumeMode?: "Block";
  storageClass: string;
  /** The node-failure scenarios: the fault mode of this result (one result per class and mode). */
  faultMode?: NodeFaultMode;
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
  /** The node-failure scenarios: the fault, the path, the timeline, the data and the fencing. */
  failover?: FailoverRecord;
  /** Set when the verdict is about the cluster's control plane, not the storage class (rwop-preemption-namespaces). */
  subject?: "control-plane";
}

/** One node-failure result in a line: how long the workload took to write elsewhere, and its two verdicts. */
export interface FailoverSummary {
  scenario: ScenarioId;
  storageClass: string;
  faultMode: NodeFaultMode;
  path: FailoverPath;
  recovered: boolean;
  /** From the fault to the workload writing elsewhere (control-plane fidelity: running elsewhere). */
  totalMs?: number;
  /** How long the path was given, from its start. */
  budgetMs: number;
  data: Check["status"];
  fencing: FencingResult["status"];
}

export interface Certification {
  schema: typeof CERTIFICATION_SCHEMA;
  suite: { name: string; version: string };
  run: {
    id: string;
    startedAt: string;
    finishedAt: string;
    status: RunStatus;
    /** A merged run (amc report --merge): the runs it was made of. */
    mergedFrom?: { reportDir: string; runId: string }[];
  };
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
  scenarios: PlannedScenario[];
  results: CertificationResult[];
  summary: {
    /** The verdicts about the storage. */
    counts: Record<Verdict | "not-run", number>;
    /** The verdicts about the cluster's control plane (rwop-preemption-namespaces), when the run had such results. */
    clusterCounts?: Record<Verdict | "not-run", number>;
    /** The findings about the storage. */
    findings: string[];
    /** The findings about the cluster's control plane (its Kubernetes), kept apart from the storage's. */
    clusterFindings?: string[];
    handoffs: {
      /** Absent in documents before 2026-12-02: rwo-handoff. */
      scenario?: ScenarioId;
      storageClass: string;
      handoffMs: number;
      detachMs?: number;
      attachMs?: number;
    }[];
    /** Every node-failure result that ran a fault, in the results' order. */
    failovers: FailoverSummary[];
  };
  /** Present when the run checked a vendor profile (amc certify): each claim held, broken or not checked. */
  claims?: CertificationClaims;
}

/** A file claims were read from: an amc profile, or upstream's test-driver file (e2e.test -storage.testdriver). */
export interface ClaimSource {
  file: string;
  sha256: string;
  kind: "profile" | "test-driver";
}

/** A vendor profile's claims, checked against the results (lib/profile/claims.ts). */
export type ClaimKind =
  | "provisioner"
  | "access-mode"
  | "rwo-cross-node"
  | "handoff-budget"
  | "failover-budget"
  | "fencing"
  | "rollout"
  | "read-only-many"
  | "zone-failover";
export type ClaimStatus = "held" | "broken" | "not-checked";

export interface ClaimEvidence {
  scenario: ScenarioId;
  storageClass: string;
  /** The node-failure scenarios: the fault mode of the result. */
  faultMode?: NodeFaultMode;
  judgement: "agrees" | "contradicts" | "undecided";
  /** Why this result agrees, contradicts or does not decide. */
  why: string;
  status: "run" | "not-run";
  verdict?: Verdict;
  outcome?: Outcome;
  /** The event the scenario was decided by, when one was. */
  decidedBy?: { reason: string; source: string; message: string };
  handoffMs?: number;
  /** The node-failure scenarios: from the fault to the workload writing elsewhere, and the fencing answer. */
  failoverMs?: number;
  fencing?: FencingResult["status"];
}

export interface ClaimResult {
  /** "<class>/<kind>", "<class>/access-mode/<mode>" or "<class>/failover/<path>". */
  id: string;
  storageClass: string;
  kind: ClaimKind;
  /** The claim in words. */
  claim: string;
  status: ClaimStatus;
  reason: string;
  /** What decides it: scenario ids and the result fields read. */
  decidedBy: { scenarios: ScenarioId[]; fields: string[] };
  evidence: ClaimEvidence[];
}

export interface CertificationClaims {
  profile: {
    file: string;
    sha256: string;
    driver: { name: string; vendor?: string; version?: string };
    /** amc certify --testdriver: every file the claims were read from, in order (the profile first). */
    sources?: ClaimSource[];
    /** What reading those test-driver files warned about: keys amc does not know, keys it does not check. */
    warnings?: string[];
  };
  results: ClaimResult[];
  counts: Record<ClaimStatus, number>;
}
