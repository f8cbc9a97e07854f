import { caseName, pathWords } from "../report/cases.ts";
import type {
  Certification,
  CertificationClaims,
  CertificationResult,
  ClaimEvidence,
  ClaimResult,
  ClaimStatus,
} from "../report/document.ts";
import type { AccessMode, FailoverPath, Outcome, ScenarioId } from "../scenario/types.ts";
import { outcomeText } from "../scenario/verdict.ts";
import {
  accessModes,
  type BlockAccessMode,
  claimedOnlyWhenListed,
  durationMs,
  failoverPaths,
  type ReadOnlyManyClaims,
  type RolloutBehaviour,
  type RolloutClaimKey,
  type RwoCrossNode,
  rolloutClaimScenarios,
  type StorageClassClaims,
  type StoredProfile,
  type ZoneFailover,
} from "./profile.ts";

/**
 * A vendor profile's claims checked against a run's results. Every claim is
 * decided by the scenarios and result fields the table below names, and by
 * nothing else: held when every required scenario agrees, broken when any
 * scenario contradicts it, not checked (with the reason) otherwise. A
 * node-failure scenario has a result per fault mode: each one is evidence.
 */

/** One scenario behind a claim; `required` ones must decide it, the others can only break it. */
interface Decider {
  scenario: ScenarioId;
  required: boolean;
}

const accessModeFields = ["verdict", "observed.outcome", "evidence.events[reason=ProvisioningFailed]"];

/**
 * THE TABLE: which scenarios decide each claim, which result fields are read,
 * and the outcome each scenario shows when the claim is true.
 */
export const claimTable = {
  provisioner: { deciders: [] as Decider[], fields: ["storageClasses[].provisioner"] },
  "access-mode": {
    ReadWriteOnce: {
      deciders: [{ scenario: "rwo-same-node", required: true }] as Decider[],
      supported: { "rwo-same-node": "admitted" } as Partial<Record<ScenarioId, Outcome>>,
      fields: accessModeFields,
    },
    ReadWriteOncePod: {
      deciders: [
        { scenario: "rwop-same-node", required: true },
        { scenario: "rwop-cross-node", required: true },
        { scenario: "rwop-preemption", required: false },
        { scenario: "rwop-kubelet-guard", required: false },
      ] as Decider[],
      supported: {
        "rwop-same-node": "rwop-scheduler-rejected",
        "rwop-cross-node": "rwop-scheduler-rejected",
        "rwop-preemption": "holder-preempted",
        "rwop-kubelet-guard": "rwop-kubelet-rejected",
      } as Partial<Record<ScenarioId, Outcome>>,
      fields: accessModeFields,
    },
    ReadWriteMany: {
      deciders: [{ scenario: "rwx-cross-node", required: true }] as Decider[],
      // Admitted, or on attachable storage attached to both nodes: as the scenario's verdict judged it.
      supported: {} as Partial<Record<ScenarioId, Outcome>>,
      fields: accessModeFields,
    },
    ReadOnlyMany: {
      deciders: [{ scenario: "rox-cross-node", required: true }] as Decider[],
      // What pods on two nodes meet depends on the family (attached to both, admitted, or node
      // affinity): the scenario's verdict says whether that is what the class's family predicts.
      supported: {} as Partial<Record<ScenarioId, Outcome>>,
      fields: ["verdict", "observed.outcome"],
    },
  },
  "rwo-cross-node": {
    // The raw block twin takes the same path: it can break the claim, it does not have to run.
    deciders: [
      { scenario: "rwo-cross-node", required: true },
      { scenario: "rwo-cross-node-block", required: false },
    ] as Decider[],
    outcome: {
      "attach-exclusive": "multi-attach-blocked",
      "node-local": "node-affinity-conflict",
      "not-enforced": "admitted",
    } as Record<RwoCrossNode, Outcome>,
    fields: ["observed.outcome"],
  },
  "handoff-budget": {
    deciders: [
      { scenario: "rwo-handoff", required: true },
      { scenario: "rwo-handoff-block", required: false },
    ] as Decider[],
    outcome: "handed-over" as Outcome,
    fields: ["observed.outcome", "timings.handoffMs"],
  },
  /** Every fault mode's result of the path's scenario must have written elsewhere within the budget. */
  "failover-budget": {
    deciders: {
      none: [{ scenario: "rwo-node-loss", required: true }],
      "force-delete": [{ scenario: "rwo-node-loss-force-delete", required: true }],
      "out-of-service": [{ scenario: "rwo-node-out-of-service", required: true }],
    } as Record<FailoverPath, Decider[]>,
    fields: ["failover.recovered", "failover.totalMs", "failover.budgetMs"],
  },
  /** Each question's scenario and the check that answers it. */
  "read-only-many": {
    deciders: {
      readOnly: [{ scenario: "rox-cross-node", required: true }],
      withoutReadOnly: [{ scenario: "rox-cross-node-writable", required: true }],
    } as Record<keyof ReadOnlyManyClaims, Decider[]>,
    check: { readOnly: "write-refused", withoutReadOnly: "write-without-read-only" } as Record<
      keyof ReadOnlyManyClaims,
      string
    >,
    fields: ["checks[].status", "checks[].finding"],
  },
  /** Each strategy's one scenario: the rollout completed or stalled. */
  rollout: {
    deciders: Object.fromEntries(
      Object.entries(rolloutClaimScenarios).map(([key, scenario]) => [key, [{ scenario, required: true }]]),
    ) as Record<RolloutClaimKey, Decider[]>,
    outcome: { completes: "rollout-completed", stalls: "rollout-stalled" } as Record<
      RolloutBehaviour,
      Outcome
    >,
    fields: ["observed.outcome", "timings.rolloutMs"],
  },
  /** Any node-failure result can break it (the old node wrote after the move); one that was fenced must hold it. */
  fencing: {
    deciders: [
      { scenario: "rwo-node-loss", required: false },
      { scenario: "rwo-node-loss-force-delete", required: false },
      { scenario: "rwo-node-out-of-service", required: false },
    ] as Decider[],
    fields: ["failover.fencing.status"],
  },
  /**
   * The holder's zone down: its replacement waits (none) or runs in another zone within the budget.
   * A pod in another zone than the volume's can only break it: refused, the volume does not reach there.
   */
  "zone-failover": {
    deciders: [
      { scenario: "rwo-zone-failover", required: true },
      { scenario: "rwo-cross-zone", required: false },
    ] as Decider[],
    outcome: { none: "node-affinity-conflict", failover: "admitted" } as Record<"none" | "failover", Outcome>,
    fields: ["observed.outcome", "timings.handoffMs"],
  },
} as const;

const claimWords = {
  supported: {
    ReadWriteOnce: "supports ReadWriteOnce: pods on one node share the volume",
    ReadWriteOncePod: "supports ReadWriteOncePod: one pod at a time in the whole cluster",
    ReadWriteMany: "supports ReadWriteMany: pods on several nodes share the volume",
    ReadOnlyMany:
      "supports ReadOnlyMany: pods read the volume, on every node the storage reaches (one, for node-local storage)",
  } as Record<AccessMode, string>,
  rwoCrossNode: {
    "attach-exclusive":
      "RWO is attach-exclusive across nodes: a second node is refused the volume (Multi-Attach)",
    "node-local":
      "RWO is node-local: the scheduler keeps a second pod off other nodes (volume node affinity)",
    "not-enforced": "RWO is not enforced across nodes: a second pod on another node is admitted",
  } as Record<RwoCrossNode, string>,
};

const rolloutClaimWords: Record<RolloutClaimKey, string> = {
  rollingUpdate: "a Deployment's rolling update (default maxSurge) that moves its pod to another node",
  noSurge: "a Deployment's rolling update with maxSurge 0 that moves its pod to another node",
  recreate: "a Deployment's Recreate update that moves its pod to another node",
  rwopRollingUpdate: "a Deployment's rolling update (default maxSurge) on a ReadWriteOncePod claim",
  rwopRecreate: "a Deployment's Recreate update on a ReadWriteOncePod claim",
  statefulSetMove: "a StatefulSet's pod moving to another node",
};

const readOnlyManyWords = {
  readOnly: {
    enforced: "a pod that mounts a ReadOnlyMany claim readOnly cannot write to it",
    ignored: "a pod that mounts a ReadOnlyMany claim readOnly can still write to it",
  },
  withoutReadOnly: {
    writable: "a pod that mounts a ReadOnlyMany claim without readOnly can write to it",
    "read-only": "a pod cannot write to a ReadOnlyMany volume even without readOnly",
  },
} as const;

type Judgement = Pick<ClaimEvidence, "judgement" | "why">;

const decisive = (r: CertificationResult) =>
  r.verdict === "conforms" || r.verdict === "finding" || r.verdict === "deviates";

/** The provisioner refused the scenario's access mode: not applicable, with its ProvisioningFailed event. */
const refused = (r: CertificationResult) =>
  r.verdict === "not-applicable" && (r.evidence?.events ?? []).some((e) => e.reason === "ProvisioningFailed");

function undecided(r: CertificationResult): Judgement {
  const state = r.status === "not-run" ? "" : `${r.verdict}: `;
  return { judgement: "undecided", why: `${state}${r.reason}` };
}

function judgeOutcome(r: CertificationResult, expected: Outcome, because = ""): Judgement {
  if (!decisive(r) || !r.observed) return undecided(r);
  const observed = r.observed.outcome;
  if (observed === expected) return { judgement: "agrees", why: `${outcomeText[observed]}${because}` };
  return {
    judgement: "contradicts",
    why: `expected ${outcomeText[expected]}, observed ${outcomeText[observed]}: ${r.observed.summary}`,
  };
}

function judgeSupported(r: CertificationResult, mode: AccessMode, expected: Outcome | undefined): Judgement {
  // A ReadOnlyMany scenario's provisioner is asked for ReadWriteOnce only (the seed): its refusal says nothing of ReadOnlyMany.
  if (refused(r) && !claimedOnlyWhenListed.includes(mode)) {
    return { judgement: "contradicts", why: `the provisioner refused ${mode}: ${r.reason}` };
  }
  if (expected) return judgeOutcome(r, expected);
  // No one outcome (ReadWriteMany, ReadOnlyMany): what the class's family predicts, as the verdict judged it.
  if (!decisive(r) || !r.observed) return undecided(r);
  return r.verdict === "deviates"
    ? { judgement: "contradicts", why: r.reason }
    : { judgement: "agrees", why: `${outcomeText[r.observed.outcome]}, as its family predicts` };
}

/** What a ReadOnlyMany scenario's write check showed, against the claim. */
function judgeReadOnlyMany(
  r: CertificationResult,
  check: string,
  claimed: NonNullable<ReadOnlyManyClaims[keyof ReadOnlyManyClaims]>,
): Judgement {
  const found = r.checks.find((c) => c.id === check);
  if (r.status !== "run" || !found) return undecided(r);
  if (found.status !== "passed" && found.status !== "failed") {
    return { judgement: "undecided", why: `${found.status}: ${found.detail}` };
  }
  // write-refused passes when the write failed; write-without-read-only carries a finding when it succeeded.
  const seen =
    check === "write-refused"
      ? found.status === "passed"
        ? "enforced"
        : "ignored"
      : found.finding
        ? "writable"
        : "read-only";
  return { judgement: seen === claimed ? "agrees" : "contradicts", why: found.detail };
}

function judgeUnsupported(r: CertificationResult, mode: AccessMode): Judgement {
  if (refused(r)) return { judgement: "agrees", why: `the provisioner refused ${mode}` };
  if (decisive(r)) return { judgement: "contradicts", why: `a ${mode} claim was provisioned and used` };
  return undecided(r);
}

/**
 * From the fault, how long the run waited for the path to recover: its budget,
 * which counts on the force-delete path from the force delete.
 */
function waitedMs(r: CertificationResult): number | undefined {
  const f = r.failover;
  if (!f) return undefined;
  const start =
    f.path === "force-delete" ? f.phases.find((p) => p.id === "old-pod-force-deleted") : undefined;
  return f.budgetMs + (start?.sinceFaultMs ?? 0);
}

const inSeconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `doing`: what the workload does elsewhere once failed over: writing (real kubelets), running (simulated nodes). */
function judgeFailover(r: CertificationResult, budget: string, doing: "writing" | "running"): Judgement {
  const f = r.failover;
  if (!decisive(r) || !f || f.phases.length === 0) return undecided(r);
  const budgetMs = durationMs(budget);
  if (!f.recovered) {
    const waited = waitedMs(r) ?? 0;
    const what = `not ${doing} on another node ${inSeconds(waited)} after the fault, when the run stopped waiting`;
    return waited >= budgetMs
      ? {
          judgement: "contradicts",
          why: `${what}: over the budget of ${budget} (${r.observed?.summary ?? ""})`,
        }
      : {
          judgement: "undecided",
          why: `${what}, within the budget of ${budget}: the run gave the path less time than the claim (AMC_FAILOVER_BUDGET)`,
        };
  }
  if (f.totalMs === undefined) {
    return { judgement: "undecided", why: "failed over, but no time from the fault was recorded" };
  }
  const where = f.replacementNode ? ` on ${f.replacementNode}` : " on another node";
  return f.totalMs <= budgetMs
    ? {
        judgement: "agrees",
        why: `${doing}${where} ${inSeconds(f.totalMs)} after the fault, within ${budget}`,
      }
    : {
        judgement: "contradicts",
        why: `${doing}${where} ${inSeconds(f.totalMs)} after the fault, over the budget of ${budget}`,
      };
}

/**
 * A node-failure result of a fault mode that never ran (not applicable, no
 * phase: the local cluster cannot power a node off): it says nothing of a
 * failover claim, which the modes that ran decide.
 */
function faultModeUnavailable(r: CertificationResult): boolean {
  return r.verdict === "not-applicable" && (r.failover?.phases.length ?? 0) === 0;
}

function judgeFencing(r: CertificationResult): Judgement {
  const f = r.failover;
  if (r.status !== "run" || !f) return undecided(r);
  switch (f.fencing.status) {
    case "fenced":
      return { judgement: "agrees", why: f.fencing.detail };
    case "not-fenced":
      return { judgement: "contradicts", why: f.fencing.detail };
    default:
      return { judgement: "undecided", why: `fencing ${f.fencing.status}: ${f.fencing.detail}` };
  }
}

/**
 * A zone failover claim against one of its scenarios. none: the replacement
 * (rwo-zone-failover) and a pod in another zone (rwo-cross-zone) are both
 * refused by volume node affinity. A budget: the replacement runs (in another
 * zone: the holder's is down) within it of the holder's deletion, and a pod
 * in another zone is not refused by node affinity.
 */
function judgeZoneFailover(r: CertificationResult, scenario: ScenarioId, claimed: ZoneFailover): Judgement {
  const rule = claimTable["zone-failover"];
  if (claimed === "none") return judgeOutcome(r, rule.outcome.none);
  if (scenario === "rwo-cross-zone") {
    if (!decisive(r) || !r.observed) return undecided(r);
    return r.observed.outcome === rule.outcome.none
      ? {
          judgement: "contradicts",
          why: `a pod in another zone was ${outcomeText[r.observed.outcome]}: the volume does not reach another zone (${r.observed.summary})`,
        }
      : {
          judgement: "agrees",
          why: `a pod in another zone was not refused the volume: ${outcomeText[r.observed.outcome]}`,
        };
  }
  const outcome = judgeOutcome(r, rule.outcome.failover);
  if (outcome.judgement !== "agrees") return outcome;
  const ms = r.timings?.handoffMs;
  if (ms === undefined) {
    return {
      judgement: "undecided",
      why: "ran in another zone, but no time from the holder's deletion was recorded",
    };
  }
  return ms <= durationMs(claimed)
    ? {
        judgement: "agrees",
        why: `ran in another zone ${ms} ms after the holder's deletion, within ${claimed}`,
      }
    : {
        judgement: "contradicts",
        why: `ran in another zone ${ms} ms after the holder's deletion, over the budget of ${claimed}`,
      };
}

function evidenceOf(r: CertificationResult, judgement: Judgement): ClaimEvidence {
  const by = r.observed?.decidedBy;
  return {
    scenario: r.scenario,
    storageClass: r.storageClass,
    ...(r.faultMode ? { faultMode: r.faultMode } : {}),
    ...judgement,
    status: r.status,
    ...(r.verdict ? { verdict: r.verdict } : {}),
    ...(r.observed ? { outcome: r.observed.outcome } : {}),
    ...(by ? { decidedBy: { reason: by.reason, source: by.source, message: by.message } } : {}),
    ...(r.timings?.handoffMs !== undefined ? { handoffMs: r.timings.handoffMs } : {}),
    ...(r.failover?.totalMs !== undefined ? { failoverMs: r.failover.totalMs } : {}),
    ...(r.failover && r.failover.phases.length > 0 ? { fencing: r.failover.fencing.status } : {}),
  };
}

/** Held, broken or not checked, from the evidence of the claim's deciders. */
function settle(
  deciders: readonly Decider[],
  evidence: ClaimEvidence[],
  missing: string[],
): Pick<ClaimResult, "status" | "reason"> {
  const line = (e: ClaimEvidence) => `${caseName(e)}: ${e.why}`;
  const contradicting = evidence.filter((e) => e.judgement === "contradicts");
  if (contradicting.length > 0) return { status: "broken", reason: contradicting.map(line).join("; ") };
  const required = new Set(deciders.filter((d) => d.required).map((d) => d.scenario));
  // A claim only its optional scenarios decide (fencing) needs one of them to agree.
  if (required.size === 0 && deciders.length > 0 && !evidence.some((e) => e.judgement === "agrees")) {
    return {
      status: "not-checked",
      reason:
        evidence.length > 0
          ? `no result decided it: ${evidence.map(line).join("; ")}`
          : `${deciders.map((d) => d.scenario).join(", ")}: not in this run's plan (left out with --scenario)`,
    };
  }
  const open = evidence.filter((e) => required.has(e.scenario) && e.judgement !== "agrees");
  if (open.length > 0 || missing.length > 0) {
    return { status: "not-checked", reason: [...missing, ...open.map(line)].join("; ") };
  }
  const agreeing = evidence.filter((e) => e.judgement === "agrees").map(line);
  // Scenarios that could only have broken the claim and decided nothing are named, not hidden.
  const silent = evidence
    .filter((e) => e.judgement === "undecided")
    .map((e) => `${caseName(e)} (${e.verdict ?? "not run"})`);
  return {
    status: "held",
    reason: [...agreeing, ...(silent.length > 0 ? [`not deciding: ${silent.join(", ")}`] : [])].join("; "),
  };
}

function checkClaim(
  cert: Certification,
  storageClass: string,
  claim: Pick<ClaimResult, "id" | "kind" | "claim"> & { fields: readonly string[] },
  deciders: readonly Decider[],
  judge: (r: CertificationResult, scenario: ScenarioId) => Judgement,
  /** Results that say nothing about the claim, left out (a fault mode the cluster cannot inject). */
  irrelevant: (r: CertificationResult) => boolean = () => false,
): ClaimResult {
  const evidence: ClaimEvidence[] = [];
  const missing: string[] = [];
  for (const { scenario, required } of deciders) {
    // One result per scenario and class; one per fault mode for the node-failure scenarios.
    const all = cert.results.filter((r) => r.scenario === scenario && r.storageClass === storageClass);
    const results = all.filter((r) => !irrelevant(r));
    for (const result of results) evidence.push(evidenceOf(result, judge(result, scenario)));
    if (results.length === 0 && required) {
      missing.push(
        all.length > 0
          ? `${scenario} @ ${storageClass}: ${all[0]?.reason ?? "not run"}`
          : `${scenario} @ ${storageClass}: not in this run's plan (left out with --scenario)`,
      );
    }
  }
  return {
    id: claim.id,
    storageClass,
    kind: claim.kind,
    claim: claim.claim,
    ...settle(deciders, evidence, missing),
    decidedBy: { scenarios: deciders.map((d) => d.scenario), fields: [...claim.fields] },
    evidence,
  };
}

/**
 * A claim the class leaves open (StorageClassClaims.unclaimed: a test-driver
 * file that does not say, and no profile that does): not checked, with why,
 * so that the certification shows the gap instead of a guess.
 */
function unclaimedResult(
  storageClass: string,
  claim: Pick<ClaimResult, "id" | "kind" | "claim"> & { fields: readonly string[] },
  deciders: readonly Decider[],
  why: string,
): ClaimResult {
  return {
    id: claim.id,
    storageClass,
    kind: claim.kind,
    claim: claim.claim,
    status: "not-checked",
    reason: `not claimed: ${why}`,
    decidedBy: { scenarios: deciders.map((d) => d.scenario), fields: [...claim.fields] },
    evidence: [],
  };
}

function classClaims(cert: Certification, c: StorageClassClaims): ClaimResult[] {
  const tested = cert.storageClasses.find((s) => s.name === c.name);
  const results: ClaimResult[] = [];
  if (c.provisioner !== undefined) {
    const base = {
      id: `${c.name}/provisioner`,
      storageClass: c.name,
      kind: "provisioner" as const,
      claim: `provisioned by ${c.provisioner}`,
      decidedBy: { scenarios: [], fields: [...claimTable.provisioner.fields] },
      evidence: [],
    };
    results.push(
      !tested
        ? { ...base, status: "not-checked", reason: `the run did not test ${c.name}` }
        : tested.provisioner === c.provisioner
          ? { ...base, status: "held", reason: `the StorageClass's provisioner is ${tested.provisioner}` }
          : { ...base, status: "broken", reason: `the StorageClass's provisioner is ${tested.provisioner}` },
    );
  }
  for (const mode of accessModes) {
    const rule = claimTable["access-mode"][mode];
    const supported = c.accessModes.includes(mode);
    if (!supported && claimedOnlyWhenListed.includes(mode)) continue;
    const open = c.unclaimed?.accessModes?.[mode];
    if (!supported && open !== undefined) {
      results.push(
        unclaimedResult(
          c.name,
          {
            id: `${c.name}/access-mode/${mode}`,
            kind: "access-mode",
            claim: `says nothing of ${mode}: neither supported nor refused`,
            fields: rule.fields,
          },
          rule.deciders,
          open,
        ),
      );
      continue;
    }
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/access-mode/${mode}`,
          kind: "access-mode",
          claim: supported
            ? claimWords.supported[mode]
            : `does not offer ${mode}: the provisioner refuses it`,
          fields: rule.fields,
        },
        rule.deciders,
        (r, scenario) =>
          supported ? judgeSupported(r, mode, rule.supported[scenario]) : judgeUnsupported(r, mode),
      ),
    );
  }
  const crossNode = claimTable["rwo-cross-node"];
  const rwoCrossNode = c.rwoCrossNode;
  results.push(
    rwoCrossNode === undefined
      ? unclaimedResult(
          c.name,
          {
            id: `${c.name}/rwo-cross-node`,
            kind: "rwo-cross-node",
            claim: "says nothing of what keeps a second node off a ReadWriteOnce volume",
            fields: crossNode.fields,
          },
          crossNode.deciders,
          c.unclaimed?.rwoCrossNode ?? "no rwoCrossNode claim",
        )
      : checkClaim(
          cert,
          c.name,
          {
            id: `${c.name}/rwo-cross-node`,
            kind: "rwo-cross-node",
            claim: claimWords.rwoCrossNode[rwoCrossNode],
            fields: crossNode.fields,
          },
          crossNode.deciders,
          (r) => judgeOutcome(r, crossNode.outcome[rwoCrossNode]),
        ),
  );
  if (c.handoffBudget !== undefined) {
    const budget = c.handoffBudget;
    const handoff = claimTable["handoff-budget"];
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/handoff-budget`,
          kind: "handoff-budget",
          claim: `hands the volume over to another node within ${budget}`,
          fields: handoff.fields,
        },
        handoff.deciders,
        (r) => {
          const outcome = judgeOutcome(r, handoff.outcome);
          const ms = r.timings?.handoffMs;
          if (outcome.judgement !== "agrees") return outcome;
          if (ms === undefined)
            return { judgement: "undecided", why: "handed over, but no handoff time was recorded" };
          return ms <= durationMs(budget)
            ? { judgement: "agrees", why: `handed over in ${ms} ms, within ${budget}` }
            : { judgement: "contradicts", why: `handed over in ${ms} ms, over the budget of ${budget}` };
        },
      ),
    );
  }
  for (const path of failoverPaths) {
    const budget = c.failover?.[path];
    if (budget === undefined) continue;
    const rule = claimTable["failover-budget"];
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/failover/${path}`,
          kind: "failover-budget",
          claim: `fails over within ${budget} of its node's failure when ${pathWords[path]}`,
          fields: rule.fields,
        },
        rule.deciders[path],
        (r) => judgeFailover(r, budget, cert.cluster.fidelity === "full" ? "writing" : "running"),
        faultModeUnavailable,
      ),
    );
  }
  if (c.fencing === "required") {
    const rule = claimTable.fencing;
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/fencing`,
          kind: "fencing",
          claim:
            "fences a failed node: once the volume moved to another node, the failed node writes nothing more",
          fields: rule.fields,
        },
        rule.deciders,
        judgeFencing,
        faultModeUnavailable,
      ),
    );
  }
  const blockModes = accessModes.filter(
    (m): m is BlockAccessMode => c.blockAccessModes !== undefined && m !== "ReadOnlyMany",
  );
  for (const mode of blockModes) {
    const rule = claimTable["access-mode"][mode];
    const supported = c.blockAccessModes?.includes(mode) ?? false;
    // The same scenarios on raw block volumes: their `-block` twins (scenarios.ts, blockScenarios).
    const deciders = rule.deciders.map((d) => ({ ...d, scenario: `${d.scenario}-block` as ScenarioId }));
    const open = c.unclaimed?.blockAccessModes?.[mode];
    if (!supported && open !== undefined) {
      results.push(
        unclaimedResult(
          c.name,
          {
            id: `${c.name}/access-mode/${mode}/block`,
            kind: "access-mode",
            claim: `says nothing of ${mode} on raw block volumes: neither supported nor refused`,
            fields: rule.fields,
          },
          deciders,
          open,
        ),
      );
      continue;
    }
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/access-mode/${mode}/block`,
          kind: "access-mode",
          claim: supported
            ? `${claimWords.supported[mode]}, on raw block volumes`
            : `does not offer ${mode} on raw block volumes: the provisioner refuses it`,
          fields: rule.fields,
        },
        deciders,
        (r, scenario) =>
          supported
            ? judgeSupported(r, mode, rule.supported[scenario.replace(/-block$/, "") as ScenarioId])
            : judgeUnsupported(r, mode),
      ),
    );
  }
  for (const [key, claimed] of Object.entries(c.readOnlyMany ?? {}) as [
    keyof ReadOnlyManyClaims,
    NonNullable<ReadOnlyManyClaims[keyof ReadOnlyManyClaims]>,
  ][]) {
    const rule = claimTable["read-only-many"];
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/read-only-many/${key}`,
          kind: "read-only-many",
          claim: (readOnlyManyWords[key] as Record<string, string>)[claimed] ?? claimed,
          fields: rule.fields,
        },
        rule.deciders[key],
        (r) => judgeReadOnlyMany(r, rule.check[key], claimed),
      ),
    );
  }
  for (const [key, behaviour] of Object.entries(c.rollout ?? {}) as [RolloutClaimKey, RolloutBehaviour][]) {
    const rule = claimTable.rollout;
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/rollout/${key}`,
          kind: "rollout",
          claim: `${rolloutClaimWords[key]} ${behaviour === "completes" ? "completes" : "stalls"}`,
          fields: rule.fields,
        },
        rule.deciders[key],
        (r) => judgeOutcome(r, rule.outcome[behaviour]),
      ),
    );
  }
  if (c.zoneFailover !== undefined) {
    const claimed = c.zoneFailover;
    const rule = claimTable["zone-failover"];
    results.push(
      checkClaim(
        cert,
        c.name,
        {
          id: `${c.name}/zone-failover`,
          kind: "zone-failover",
          claim:
            claimed === "none"
              ? "does not fail over to another zone: a workload whose zone is down waits for it"
              : `fails over to another zone within ${claimed} when its zone goes down`,
          fields: rule.fields,
        },
        rule.deciders,
        (r, scenario) => judgeZoneFailover(r, scenario, claimed),
      ),
    );
  }
  if (!tested) {
    // Nothing of a class the run did not test decides anything.
    return results.map((r) => ({ ...r, status: "not-checked", reason: `the run did not test ${c.name}` }));
  }
  return results;
}

export function evaluateClaims(stored: StoredProfile, cert: Certification): CertificationClaims {
  const results = stored.profile.storageClasses.flatMap((c) => classClaims(cert, c));
  const counts: Record<ClaimStatus, number> = { held: 0, broken: 0, "not-checked": 0 };
  for (const r of results) counts[r.status]++;
  return {
    profile: {
      file: stored.file,
      sha256: stored.sha256,
      driver: stored.profile.driver,
      ...(stored.sources ? { sources: stored.sources } : {}),
      ...(stored.warnings && stored.warnings.length > 0 ? { warnings: stored.warnings } : {}),
    },
    results,
    counts,
  };
}

/** The certification with the profile's claims checked against it. */
export function withClaims(cert: Certification, stored: StoredProfile): Certification {
  return { ...cert, claims: evaluateClaims(stored, cert) };
}
