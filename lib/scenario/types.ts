import type { Fidelity, NodeFaultMode, ProviderId } from "../cluster/fidelity.ts";

/**
 * The vocabulary of the scenarios and the one record every scenario run
 * produces. Reports are built from ScenarioRecord and nothing else.
 */

export type AccessMode = "ReadWriteOnce" | "ReadWriteOncePod" | "ReadWriteMany" | "ReadOnlyMany";

export const shortAccessMode: Record<AccessMode, string> = {
  ReadWriteOnce: "RWO",
  ReadWriteOncePod: "RWOP",
  ReadWriteMany: "RWX",
  ReadOnlyMany: "ROX",
};

/** A claim's volumeMode: a filesystem mounted into the pods (Kubernetes' default), or a raw block device. */
export type VolumeMode = "Filesystem" | "Block";

/** The access-mode scenarios crossed with volumeMode Block (scenarios.ts, blockScenarios): `<id>-block`. */
export type BlockScenarioId =
  | "rwo-same-node-block"
  | "rwo-cross-node-block"
  | "rwo-handoff-block"
  | "rwop-same-node-block"
  | "rwop-cross-node-block"
  | "rwop-kubelet-guard-block"
  | "rwop-preemption-block"
  | "rwx-cross-node-block";

/**
 * The scenario families that are not one access mode's: claims asking for
 * several modes, what workloads hit, and zones.
 */
export type ScenarioFamily = "mixed-modes" | "workloads" | "zones";

/**
 * Where a scenario's pods go: both on one node, on two nodes (of one zone
 * where there is such a pair), or on two nodes in different zones.
 */
export type Placement = "same-node" | "cross-node" | "cross-zone";

export type ScenarioId =
  | BlockScenarioId
  | "rwo-same-node"
  | "rwo-cross-node"
  | "rwo-handoff"
  | "rwop-same-node"
  | "rwop-cross-node"
  | "rwop-preemption"
  | "rwop-kubelet-guard"
  | "rwop-preemption-namespaces"
  | "rwx-cross-node"
  | "rox-cross-node"
  | "rox-cross-node-writable"
  | "mixed-rwo-rwx-cross-node"
  | "mixed-rwo-rox"
  | "rwo-cross-zone"
  | "rwo-zone-failover"
  | "rwo-rollout"
  | "rwo-rollout-recreate"
  | "rwo-rollout-no-surge"
  | "rwop-rollout"
  | "rwop-rollout-recreate"
  | "rwo-statefulset-reschedule"
  | "rwo-node-loss"
  | "rwo-node-loss-force-delete"
  | "rwo-node-out-of-service";

/** The controllers of the workloads family. */
export type WorkloadKind = "deployment" | "statefulset";

/**
 * A Deployment's update strategy: `rolling-update` is Kubernetes' default
 * (maxSurge 25% and maxUnavailable 25%: with one replica, the new pod starts
 * before the old one stops); `no-surge` is RollingUpdate with maxSurge 0 and
 * maxUnavailable 1 (the old pod stops first); `recreate` is Recreate (every
 * old pod is gone before a new one is created).
 */
export type RolloutStrategy = "rolling-update" | "no-surge" | "recreate";

/**
 * How the storage behind a class behaves across nodes, from what the cluster
 * says about it (CSIDriver, the volumes it provisions), never from its name.
 */
export type StorageFamily =
  /** The control plane attaches each volume to a node (CSIDriver attachRequired, or an attachable in-tree volume). */
  | "attachable"
  /** Each volume is pinned to one node by its PersistentVolume's node affinity. */
  | "node-local"
  /** Neither: reachable from every node without attach (NFS-like file storage). */
  | "shared"
  | "unknown";

export interface StorageProfile {
  className: string;
  provisioner: string;
  volumeBindingMode: string;
  /** The CSIDriver object of the provisioner, when there is one. */
  csiDriver?: { name: string; attachRequired: boolean };
  family: StorageFamily;
  /** Why that family: the facts it was decided from. */
  familyReason: string;
  /** What a probe volume (ReadWriteOnce) showed, or why none could be provisioned. */
  probe: ProbeResult;
  /**
   * Zonal storage: the topology key its volumes are pinned by (a zone, which
   * spans several nodes), read from the probe volume's node affinity
   * (family.ts zoneKeyOf). Unset for storage no zone confines.
   */
  zoneKey?: string;
  /**
   * The nodes of the pool where the class's CSI driver has a node plugin
   * (their CSINode lists it), when that is not all of them: a volume can be
   * mounted only there, so the class's pods go only there (nodes.ts classPool).
   */
  pluginNodes?: string[];
}

export type ProbeResult =
  | {
      provisioned: true;
      /** The PersistentVolume source: "csi", "nfs", "hostPath", "local", ... */
      volumeSource: string;
      /** Node-affinity terms of the probe volume, e.g. { "kubernetes.io/hostname": ["n1"] }. */
      nodeAffinity: Record<string, string[]>;
      /** The nodes that affinity admits (all nodes when there is none). */
      reachableFrom: string[];
    }
  | { provisioned: false; message: string };

/** What the control plane did with the pod a scenario is about. */
export type Outcome =
  /** The pod was admitted next to the holder: scheduled, its volume attached where needed, running. */
  | "admitted"
  /** The attach/detach controller refused to attach the volume to a second node (FailedAttachVolume, Multi-Attach). */
  | "multi-attach-blocked"
  /** The scheduler refused every node because the volume is pinned to another (PV node affinity). */
  | "node-affinity-conflict"
  /** The scheduler refused the pod because another pod holds the ReadWriteOncePod claim. */
  | "rwop-scheduler-rejected"
  /** The kubelet refused to mount a ReadWriteOncePod volume another pod uses (FailedMount). */
  | "rwop-kubelet-rejected"
  /** After the holder went, the volume moved to the waiting pod's node and that pod started. */
  | "handed-over"
  /** The scheduler preempted the lower-priority holder and admitted the higher-priority pod. */
  | "holder-preempted"
  /** The volume was attached to two nodes at once. */
  | "attached-to-two-nodes"
  /** After its node failed, the workload ran (and wrote) on another node. */
  | "failed-over"
  /** After its node failed, the workload did not run elsewhere within the budget. */
  | "not-failed-over"
  /** The workload's update finished: its new pod runs where the change put it and the old pod is gone. */
  | "rollout-completed"
  /** The workload's update cannot finish: its new pod is kept from the volume while the old pod holds it. */
  | "rollout-stalled"
  /** The scheduler preempted a pod of another namespace, whose claim has the same name as the preemptor's. */
  | "other-namespace-preempted"
  /** The external-attacher refused to attach the volume for its access modes (FailedAttachVolume, not Multi-Attach). */
  | "attach-refused";

export type Verdict = "conforms" | "deviates" | "finding" | "not-applicable" | "inconclusive";

export interface Expectation {
  outcome: Outcome;
  /** Kubernetes' documented semantics that lead to this outcome for this storage. */
  because: string;
  /** Set when the expected behaviour is itself worth reporting (RWO not enforced across nodes). */
  finding?: string;
  /**
   * Set when what is tested is the control plane, not the storage: another
   * outcome is a finding about the cluster's Kubernetes, never the class's
   * deviation.
   */
  aboutControlPlane?: true;
}

export interface EventEvidence {
  type: string;
  reason: string;
  message: string;
  /** The component that reported it (attachdetach-controller, default-scheduler, kubelet, ...). */
  source: string;
  involvedObject: { kind: string; name: string };
  count: number;
  /** When the reporting component created the event: from its name (ns), its eventTime (µs), or lastTimestamp (s). */
  emittedAt?: string;
  emittedAtPrecision?: "ns" | "us" | "s";
  /** When the suite first saw it. */
  receivedAt: string;
}

export interface ObjectEvidence {
  kind: string;
  name: string;
  /** One line: "pod-b: Pending on amc-node-a2", "VolumeAttachment csi-... amc-node-a1 attached". */
  state: string;
  at: string;
}

export interface Check {
  id: string;
  title: string;
  /** inconclusive: the kubelet never reported what the check needs, within the wait. */
  status: "passed" | "failed" | "not-applicable" | "inconclusive";
  detail: string;
  /**
   * Set when what the check saw is worth reporting although nothing failed
   * (a pod wrote to a ReadOnlyMany volume): a verdict that conforms becomes
   * a finding with this reason (verdict.ts, withKubeletChecks).
   */
  finding?: string;
}

export interface StepTiming {
  step: string;
  startedAt: string;
  ms: number;
}

export interface RunTimings {
  startedAt: string;
  finishedAt: string;
  /** From pod B's creation (the API's answer) to the decisive evidence reaching the suite. */
  decisionMs?: number;
  /** From the control plane emitting the decisive event to the suite seeing it. */
  detectionGapMs?: number;
  detectionGapPrecision?: "ns" | "us" | "s";
  /** rwo-handoff: from the holder's deletion to the volume attached to the waiting pod's node (and the pod running). */
  handoffMs?: number;
  /** rwo-handoff: holder gone -> old attachment gone, and old attachment gone -> new one attached. */
  detachMs?: number;
  attachMs?: number;
  /** A workload's update that completed: from the old pod's deletion to the new pod Ready (admitted), its downtime. */
  rolloutMs?: number;
  steps: StepTiming[];
}

/** What an operator does after a node fails: nothing, force-delete the old pod, or taint the node out of service. */
export type FailoverPath = "none" | "force-delete" | "out-of-service";

/** The phases of a failover, in the order they normally happen (any may be missing). */
export type FailoverPhaseId =
  | "fault-injected"
  | "node-not-ready"
  | "node-tainted"
  | "pod-evicted"
  | "replacement-created"
  | "replacement-refused"
  | "replacement-scheduled"
  | "old-pod-force-deleted"
  | "out-of-service-tainted"
  | "old-pod-gone"
  | "old-attachment-deleted"
  | "new-attachment-attached"
  | "replacement-running"
  | "replacement-first-write";

export interface FailoverPhase {
  id: FailoverPhaseId;
  /** What happened, with its evidence: the event's reason and message, the condition, the object. */
  detail: string;
  /** When it happened: by the cluster's own record where there is one (event, condition, taint, object), else when the suite saw or did it. */
  at: string;
  /** From the fault's injection to `at`. */
  sinceFaultMs: number;
  /** Where `at` comes from. */
  source: "event" | "condition" | "taint" | "object" | "suite" | "volume";
  /** When the suite saw it. */
  seenAt: string;
  /** seenAt - at, when `at` is the cluster's own time to the precision below. */
  detectionGapMs?: number;
  atPrecision?: "ns" | "us" | "ms" | "s";
}

/** The fencing question: did the old node keep writing after the volume moved? */
export interface FencingResult {
  status: "fenced" | "not-fenced" | "not-applicable" | "inconclusive";
  detail: string;
  /** The old writer's lines written after the replacement's first write, and the replacement's lines around them. */
  lines?: string[];
}

/** A node-failure scenario's own record: the fault, the path, the timeline, the data and the fencing. */
export interface FailoverRecord {
  mode: NodeFaultMode;
  /** What the fault did on this cluster (the provider's words). */
  fault: string;
  path: FailoverPath;
  /** The node that failed, and the node the replacement ran on. */
  node: string;
  replacementNode?: string;
  /** How long the path was given to recover, from its start. */
  budgetMs: number;
  /** The values the timeline depends on, read from the cluster where possible: node-monitor-grace-period, tolerations, ... */
  parameters: Record<string, string>;
  phases: FailoverPhase[];
  recovered: boolean;
  /** From the fault to the workload writing elsewhere (control-plane fidelity: running elsewhere). */
  totalMs?: number;
  /** Every line the old writer had made durable before the fault, found by the replacement. */
  data: Check;
  fencing: FencingResult;
  /** What the reader must know to read the timeline (kwok nodes report no volumesInUse, ...). */
  notes: string[];
}

/** The schema id on disk (users' reports hold it): "run-record" is its historical name, kept unchanged. */
export const SCENARIO_RECORD_SCHEMA = "access-mode-conformance/run-record@1";

/** One scenario on one storage class: what was expected, what happened, and the proof. */
export interface ScenarioRecord {
  schema: typeof SCENARIO_RECORD_SCHEMA;
  runId: string;
  scenario: ScenarioId;
  title: string;
  accessMode: AccessMode;
  /** Every access mode the claim asked for, when it asked for more than one (the mixed-mode scenarios). */
  accessModes?: AccessMode[];
  /** Block: the claim was a raw block device (absent: a filesystem). */
  volumeMode?: "Block";
  storageClass: string;
  provisioner: string;
  storageFamily: StorageFamily;
  familyReason: string;
  cluster: { provider: ProviderId; name: string; fidelity: Fidelity; kubernetesVersion: string };
  namespace?: string;
  /** The nodes used, and why those. */
  nodes: { a?: string; b?: string; reason: string };
  expected?: Expectation;
  /** What the control plane did, and the event that showed it when an event did. */
  observed?: { outcome: Outcome; summary: string; decidedBy?: EventEvidence };
  verdict: Verdict;
  /** One sentence that explains the verdict. */
  reason: string;
  /** Kubelet-level checks, not applicable on control-plane fidelity. */
  checks: Check[];
  /** What clean-up could not remove (volumes with reclaim policy Retain). */
  cleanupNotes?: string[];
  evidence: {
    events: EventEvidence[];
    objects: ObjectEvidence[];
    /** Every manifest as applied, by object name. */
    manifests: Record<string, string>;
  };
  timings: RunTimings;
  /** The node-failure scenarios: one record per class, scenario and fault mode. */
  failover?: FailoverRecord;
  /**
   * What the verdict is about: the storage class (absent), or the cluster's
   * control plane (rwop-preemption-namespaces): reports keep those apart.
   */
  subject?: "control-plane";
}
