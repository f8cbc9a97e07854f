import type {
  AccessMode,
  BlockScenarioId,
  Expectation,
  FailoverPath,
  Placement,
  RolloutStrategy,
  ScenarioFamily,
  ScenarioId,
  StorageProfile,
  WorkloadKind,
} from "./types.ts";

/**
 * The article's experiment as data. Each scenario is a list of steps that one
 * runner (runner.ts) executes, and the outcome Kubernetes' documented
 * semantics predict for the storage family of the class under test.
 */

/** One of the scenario's two pods (pod-a, pod-b), not a Pod object. */
export type PodSlot = "a" | "b";

export type Step =
  /** Create the claim in the scenario's access modes; a class that refuses them makes the scenario not applicable. */
  | { do: "claim" }
  /**
   * Fill a volume of the class through a ReadWriteOnce claim (a writer pod on
   * the first node writes the token), then re-bind that volume to the
   * scenario's claim in its access mode (ReadOnlyMany): how a read-only
   * claim gets known data on any class (seed.ts says how).
   */
  | { do: "seed" }
  /** Create a pod using the claim, on the first or second chosen node. */
  | {
      do: "pod";
      pod: PodSlot;
      node: "first" | "second";
      priority?: "low" | "high";
      /** Set spec.nodeName instead of a nodeSelector: the scheduler never sees the pod. */
      bypassScheduler?: boolean;
      /** Set `readOnly: true` on the pod's claim reference: the kubelet mounts the volume read-only. */
      readOnly?: boolean;
    }
  /** Wait until the control plane admitted the pod: scheduled, its volume attached where needed, running. */
  | { do: "admitted"; pod: PodSlot }
  /** Wait for the control plane's decision about the pod and classify it. */
  | { do: "decide"; pod: PodSlot }
  /** Kubelet level: write a token into the volume from the pod. */
  | { do: "write-token"; pod: PodSlot }
  /** Kubelet level: read the token back from another pod sharing the volume. */
  | { do: "read-token"; pod: PodSlot }
  /** Kubelet level: read the seeded token from pod A and, if it was admitted, pod B. */
  | { do: "read-seed" }
  /**
   * Kubelet level: try to write to the volume from pod B if it was admitted,
   * else pod A. `readOnly`: whether the pods asked for a read-only mount.
   */
  | { do: "write-attempt"; readOnly: boolean }
  /** Delete the holder, then wait for the volume to move to the waiting pod's node (the handoff). */
  | { do: "hand-over"; from: PodSlot; to: PodSlot }
  /** Create the higher-priority pod and wait for it to preempt the holder. */
  | { do: "preempt"; holder: PodSlot; by: PodSlot }
  /**
   * Create a workload of one replica holding the claim on the first node and
   * wait until its pod is admitted: that pod is pod A (workload.ts).
   */
  | { do: "workload"; kind: WorkloadKind; strategy?: RolloutStrategy }
  /**
   * Change the workload's pod template so that its next pod must run on the
   * first or second node, then wait until the rollout completes (its new pod,
   * pod B, admitted there and the old pod gone) or stalls (the new pod kept
   * from the volume while the old one holds it).
   */
  | { do: "roll"; to: "first" | "second" }
  /**
   * In a second namespace of the run: a claim with the same name as the
   * scenario's, and its holder at low priority on the first node, admitted.
   */
  | { do: "neighbour" }
  /**
   * Zone failover: taint every node of the holder's zone NoSchedule (the
   * taint the clean-up removes), delete the holder, wait until it is gone
   * (and its attachment, on attachable storage), then place pod `by` on any
   * node of the pool and wait for the control plane's decision, timed from
   * the holder's deletion.
   */
  | { do: "zone-down"; holder: PodSlot; by: PodSlot };

export type ExpectationOrNot = Expectation | { notApplicable: string } | { inconclusive: string };

export interface Scenario {
  id: ScenarioId;
  title: string;
  /**
   * The suite file that runs it: the access-mode families (by access mode,
   * suites/rwo|rwop|rwx|rox.e2e.test.ts), claims asking for several modes
   * (suites/mixed-modes.e2e.test.ts), what workloads hit through their
   * controllers (suites/workloads.e2e.test.ts); the node-failure family is
   * `failover`'s.
   */
  family?: ScenarioFamily;
  /**
   * Set when the scenario disrupts more than its own objects (it taints the
   * nodes of a zone): it runs in the disruptive project, one case at a time,
   * and on a cluster the suite does not own only with the opt-in. What it does.
   */
  disrupts?: string;
  /** Set when the scenario tests the control plane, not the storage: its verdicts are reported apart. */
  subject?: "control-plane";
  accessMode: AccessMode;
  /** Every access mode the claim asks for, when more than one (the mixed-mode scenarios); `accessMode` is the first. */
  accessModes?: readonly AccessMode[];
  /** Block: the claim is a raw block device, and the pods get it as a device (blockScenarios). */
  volumeMode?: "Block";
  placement: Placement;
  /** Set when every step that decides this scenario needs real kubelets: the reason. */
  needsKubelet?: string;
  steps: readonly Step[];
  /**
   * A node-failure scenario: no steps; lib/failover/ runs it, one fault for
   * every class at once, after the other scenarios (it disrupts a node).
   */
  failover?: { path: FailoverPath };
  expect(storage: StorageProfile): ExpectationOrNot;
}

const unknownFamily = (storage: StorageProfile): ExpectationOrNot => ({
  inconclusive: `the storage family of ${storage.className} could not be determined (${storage.familyReason})`,
});

const admitted = (because: string, finding?: string): Expectation => ({
  outcome: "admitted",
  because,
  ...(finding ? { finding } : {}),
});

/**
 * PersistentVolume sources of in-tree plugins that are neither attachable nor
 * device-mountable: the kubelet tracks their mounts per pod, not per volume.
 * (CSI volumes are always tracked per volume.)
 */
const perPodVolumeSources = new Set(["hostPath", "nfs", "cephfs"]);

const rwopRejected: Expectation = {
  outcome: "rwop-scheduler-rejected",
  because:
    "ReadWriteOncePod admits one pod in the whole cluster; the scheduler's VolumeRestrictions plugin refuses a second",
};

const pairSteps = (node: "first" | "second"): Step[] => [
  { do: "claim" },
  { do: "pod", pod: "a", node: "first" },
  { do: "admitted", pod: "a" },
  { do: "pod", pod: "b", node },
  { do: "decide", pod: "b" },
];

/** pairSteps with a token pod A writes before pod B is placed: pod B reads it back if it gets the volume. */
const tokenPairSteps = (node: "first" | "second"): Step[] => [
  { do: "claim" },
  { do: "pod", pod: "a", node: "first" },
  { do: "admitted", pod: "a" },
  { do: "write-token", pod: "a" },
  { do: "pod", pod: "b", node },
  { do: "decide", pod: "b" },
];

/** Node-local storage, whatever the claim's access modes: a pod on another node is refused. */
const pinnedToOneNode: Expectation = {
  outcome: "node-affinity-conflict",
  because:
    "the volume exists on one node only, whatever its access modes: the scheduler refuses every other node (PV node affinity)",
};

/** What a second pod on another node of a ReadWriteOnce volume meets, by storage family. */
function rwoAcrossNodes(storage: StorageProfile): ExpectationOrNot {
  switch (storage.family) {
    case "attachable":
      return {
        outcome: "multi-attach-blocked",
        because:
          "the attach/detach controller keeps a ReadWriteOnce volume attached to one node and reports Multi-Attach for another",
      };
    case "node-local":
      return {
        outcome: "node-affinity-conflict",
        because:
          "the volume exists on one node only; the scheduler refuses every other node (PV node affinity)",
      };
    case "shared":
      return admitted(
        "nothing enforces ReadWriteOnce across nodes for storage without attach: the attach/detach controller skips it and no node affinity pins it",
        `RWO is not enforced across nodes on ${storage.className}: two pods on two nodes use the same volume`,
      );
    case "unknown":
      return unknownFamily(storage);
  }
}

export const scenarios: readonly Scenario[] = [
  {
    id: "rwo-same-node",
    title: "RWO: two pods on the same node",
    accessMode: "ReadWriteOnce",
    placement: "same-node",
    steps: [...tokenPairSteps("first"), { do: "read-token", pod: "b" }],
    expect: () =>
      admitted("ReadWriteOnce restricts a volume to one node, not one pod: pods on that node share it"),
  },
  {
    id: "rwo-cross-node",
    title: "RWO: a second pod on another node",
    accessMode: "ReadWriteOnce",
    placement: "cross-node",
    steps: pairSteps("second"),
    expect: (storage) => rwoAcrossNodes(storage),
  },
  {
    id: "rwo-handoff",
    title: "RWO: the volume moves to the other node when the holder goes",
    accessMode: "ReadWriteOnce",
    placement: "cross-node",
    steps: [
      ...tokenPairSteps("second"),
      { do: "hand-over", from: "a", to: "b" },
      { do: "read-token", pod: "b" },
    ],
    expect: (storage) =>
      storage.family === "attachable"
        ? {
            outcome: "handed-over",
            because:
              "once the holder is gone the volume is detached from its node and attached to the waiting pod's",
          }
        : storage.family === "unknown"
          ? unknownFamily(storage)
          : {
              notApplicable: `only attachable storage is handed over between nodes; ${storage.className} is ${storage.family} (${storage.familyReason})`,
            },
  },
  {
    id: "rwop-same-node",
    title: "RWOP: a second pod on the same node",
    accessMode: "ReadWriteOncePod",
    placement: "same-node",
    steps: pairSteps("first"),
    expect: () => rwopRejected,
  },
  {
    id: "rwop-cross-node",
    title: "RWOP: a second pod on another node",
    accessMode: "ReadWriteOncePod",
    placement: "cross-node",
    steps: pairSteps("second"),
    expect: () => rwopRejected,
  },
  {
    id: "rwop-preemption",
    title: "RWOP: a higher-priority pod preempts the holder",
    accessMode: "ReadWriteOncePod",
    placement: "same-node",
    steps: [
      { do: "claim" },
      { do: "pod", pod: "a", node: "first", priority: "low" },
      { do: "admitted", pod: "a" },
      { do: "write-token", pod: "a" },
      { do: "preempt", holder: "a", by: "b" },
      { do: "read-token", pod: "b" },
    ],
    expect: () => ({
      outcome: "holder-preempted",
      because:
        "a ReadWriteOncePod conflict is Unschedulable, not UnschedulableAndUnresolvable: the scheduler preempts a lower-priority holder",
    }),
  },
  {
    id: "rwop-preemption-namespaces",
    title: "RWOP: a high-priority pod preempts its own namespace's holder, not another namespace's",
    accessMode: "ReadWriteOncePod",
    placement: "same-node",
    subject: "control-plane",
    steps: [
      { do: "claim" },
      { do: "pod", pod: "a", node: "first", priority: "low" },
      { do: "admitted", pod: "a" },
      { do: "neighbour" },
      { do: "preempt", holder: "a", by: "b" },
    ],
    expect: () => ({
      outcome: "holder-preempted",
      because:
        "preemption frees the claim the preemptor wants: only the holder of that claim, in the preemptor's namespace, is a victim; a claim of the same name in another namespace is another claim",
      aboutControlPlane: true,
    }),
  },
  {
    id: "rwop-kubelet-guard",
    title: "RWOP: the kubelet refuses a second pod that bypassed the scheduler",
    accessMode: "ReadWriteOncePod",
    placement: "same-node",
    needsKubelet:
      "the kubelet's own ReadWriteOncePod check needs real kubelets; the cluster's nodes are simulated",
    steps: [
      { do: "claim" },
      { do: "pod", pod: "a", node: "first" },
      { do: "admitted", pod: "a" },
      { do: "pod", pod: "b", node: "first", bypassScheduler: true },
      { do: "decide", pod: "b" },
    ],
    expect: (storage) => {
      const source = storage.probe.provisioned ? storage.probe.volumeSource : undefined;
      if (source && perPodVolumeSources.has(source)) {
        return admitted(
          `the kubelet's ReadWriteOncePod check (operation_generator.go) looks for the volume mounted for another pod, but its volume manager names ${source} volumes per pod (desired_state_of_world.go, GetUniqueVolumeNameFromSpecWithPod: neither attachable nor device-mountable), so it never finds one`,
          `ReadWriteOncePod is not enforced by the kubelet on ${storage.className} (${source} volumes): a pod that bypasses the scheduler shares the volume`,
        );
      }
      return {
        outcome: "rwop-kubelet-rejected",
        because:
          "the kubelet enforces ReadWriteOncePod itself when a pod reaches it without the scheduler (FailedMount)",
      };
    },
  },
  {
    id: "rwx-cross-node",
    title: "RWX: two pods on two nodes",
    accessMode: "ReadWriteMany",
    placement: "cross-node",
    steps: [...tokenPairSteps("second"), { do: "read-token", pod: "b" }],
    expect: (storage) =>
      storage.family === "attachable"
        ? {
            outcome: "attached-to-two-nodes",
            because:
              "ReadWriteMany admits pods on any number of nodes: the attach/detach controller attaches the volume to both (a multi-attach SAN, Ceph RBD, what KubeVirt's live migration needs)",
          }
        : storage.family === "node-local"
          ? admitted(
              "ReadWriteMany admits pods on any number of nodes; node-local storage cannot serve that, and should refuse the mode at provisioning, as local-path does: this class provisioned it, so its second node is where the promise breaks",
            )
          : admitted("ReadWriteMany admits pods on any number of nodes"),
  },
  {
    id: "rox-cross-node",
    title: "ROX: two pods on two nodes read known data, mounted readOnly",
    accessMode: "ReadOnlyMany",
    placement: "cross-node",
    steps: roxSteps(true),
    expect: (storage) => roxAcrossNodes(storage),
  },
  {
    id: "rox-cross-node-writable",
    title: "ROX: two pods on two nodes, without readOnly: can they write?",
    accessMode: "ReadOnlyMany",
    placement: "cross-node",
    steps: roxSteps(false),
    expect: (storage) => roxAcrossNodes(storage),
  },
];

/**
 * The access-mode scenarios again on raw block volumes (volumeMode Block, the
 * pods' volumeDevices), crossed as upstream crosses its storage test suites
 * with test patterns: the same steps and expectations, since Kubernetes takes
 * the same decisions (Multi-Attach, node affinity, ReadWriteOncePod in the
 * scheduler and the kubelet) whatever the volume mode; the kubelet's code
 * path to the device is another one, and the data checks write to the device.
 */
const blockCrossed = [
  "rwo-same-node",
  "rwo-cross-node",
  "rwo-handoff",
  "rwop-same-node",
  "rwop-cross-node",
  "rwop-kubelet-guard",
  "rwop-preemption",
  "rwx-cross-node",
] as const;

export const blockScenarios: readonly Scenario[] = blockCrossed.map((id) => {
  const base = scenarios.find((s) => s.id === id);
  if (!base) throw new Error(`no scenario ${id} to cross with volumeMode Block`);
  return {
    ...base,
    id: `${id}-block` satisfies BlockScenarioId,
    title: `${base.title} (raw block)`,
    volumeMode: "Block",
  };
});

/** The ReadOnlyMany scenarios' steps: a seeded volume, pods on two nodes (readOnly or not), the data read, a write tried. */
function roxSteps(readOnly: boolean): Step[] {
  return [
    { do: "seed" },
    { do: "pod", pod: "a", node: "first", readOnly },
    { do: "admitted", pod: "a" },
    { do: "pod", pod: "b", node: "second", readOnly },
    { do: "decide", pod: "b" },
    { do: "read-seed" },
    { do: "write-attempt", readOnly },
  ];
}

/** What a ReadOnlyMany volume on two nodes meets, by storage family. */
function roxAcrossNodes(storage: StorageProfile): ExpectationOrNot {
  switch (storage.family) {
    case "attachable":
      return {
        outcome: "attached-to-two-nodes",
        because:
          "ReadOnlyMany is a multi-node mode: the attach/detach controller skips its Multi-Attach check (IsMultiAttachAllowed) and attaches the volume to both nodes",
      };
    case "node-local":
      return pinnedToOneNode;
    case "shared":
      return admitted("ReadOnlyMany admits pods on any number of nodes");
    case "unknown":
      return unknownFamily(storage);
  }
}

/** Whether the class's provisioner is a CSI driver: a CSIDriver object, or the probe volume's source. */
const isCsi = (storage: StorageProfile): boolean =>
  storage.csiDriver !== undefined || (storage.probe.provisioned && storage.probe.volumeSource === "csi");

/** Claims that ask for more than one access mode: what the control plane and CSI make of the combination. */
export const mixedModeScenarios: readonly Scenario[] = [
  {
    id: "mixed-rwo-rwx-cross-node",
    family: "mixed-modes",
    title: "RWO+RWX: a claim asking for both, pods on two nodes",
    accessMode: "ReadWriteOnce",
    accessModes: ["ReadWriteOnce", "ReadWriteMany"],
    placement: "cross-node",
    steps: pairSteps("second"),
    expect: (storage) => {
      const notEnforced = `RWO is not enforced across nodes on ${storage.className} when the claim also lists ReadWriteMany: two pods on two nodes use the volume`;
      switch (storage.family) {
        case "attachable":
          return {
            outcome: "attached-to-two-nodes",
            because:
              "the attach/detach controller skips its Multi-Attach check when a volume lists ReadWriteMany or ReadOnlyMany anywhere (IsMultiAttachAllowed), ReadWriteOnce beside it or not; CSI maps the pair to MULTI_NODE_MULTI_WRITER",
            finding: notEnforced,
          };
        case "node-local":
          return pinnedToOneNode;
        case "shared":
          return admitted(
            "nothing enforces ReadWriteOnce across nodes: ReadWriteMany beside it lifts the attach/detach controller's Multi-Attach check, and storage without attach never had it",
            notEnforced,
          );
        case "unknown":
          return unknownFamily(storage);
      }
    },
  },
  {
    id: "mixed-rwo-rox",
    family: "mixed-modes",
    title: "RWO+ROX: a claim asking for both, one pod",
    accessMode: "ReadWriteOnce",
    accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
    placement: "same-node",
    steps: [{ do: "claim" }, { do: "pod", pod: "a", node: "first" }, { do: "decide", pod: "a" }],
    expect: (storage) => {
      if (!isCsi(storage)) {
        return {
          notApplicable: `CSI's rule for ReadWriteOnce with ReadOnlyMany is what this tests; ${storage.className}'s provisioner ${storage.provisioner} is not a CSI driver (no CSIDriver object, no CSI probe volume)`,
        };
      }
      switch (storage.family) {
        case "attachable":
          return {
            outcome: "attach-refused",
            because:
              'CSI has no one mode for ReadWriteOnce with ReadOnlyMany: the external-provisioner asks the driver for each mode apart and the volume is created, but the external-attacher maps the volume\'s modes to one and refuses to attach it ("CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume", csi-lib-utils accessmodes; the attach/detach controller reports its attachError)',
            finding: `a claim asking for ReadWriteOnce and ReadOnlyMany is provisioned on ${storage.className}, but its volume is never attached: the pod waits for it for good`,
          };
        case "node-local":
        case "shared":
          return admitted(
            "without attach nothing checks the pair: the kubelet hands the driver the claim's first access mode only (ReadWriteOnce)",
          );
        case "unknown":
          return unknownFamily(storage);
      }
    },
  },
];

const rolloutStalls = (because: string): Expectation => ({ outcome: "rollout-stalled", because });
const rolloutCompletes = (because: string, finding?: string): Expectation => ({
  outcome: "rollout-completed",
  because,
  ...(finding ? { finding } : {}),
});

/** What a rollout that moves the pod to another node leads to, by strategy and storage family. */
function rolloutToAnotherNode(storage: StorageProfile, strategy: RolloutStrategy): ExpectationOrNot {
  switch (storage.family) {
    case "attachable":
      return strategy === "rolling-update"
        ? rolloutStalls(
            "RollingUpdate's default maxSurge starts the new pod before the old one stops; on another node the attach/detach controller refuses to attach the ReadWriteOnce volume the old pod still holds (Multi-Attach), so the new pod never becomes Ready and the rollout stalls until its progress deadline (ProgressDeadlineExceeded): Kubernetes' documented behaviour (kubernetes/kubernetes#26567); use Recreate, or maxSurge 0, with RWO claims on attachable storage",
          )
        : rolloutCompletes(
            `${strategy === "recreate" ? "Recreate" : "maxSurge 0"} stops the old pod before the new one starts: the volume is detached from the old node and attached to the new one`,
          );
    case "node-local":
      return strategy === "rolling-update"
        ? rolloutStalls(
            "the volume exists on one node only: the scheduler refuses the new pod on any other (PV node affinity) and the rollout stalls until its progress deadline, whatever the strategy",
          )
        : {
            notApplicable: `the volume of ${storage.className} exists on one node only (${storage.familyReason}): no strategy moves its pod to another node, the scheduler refuses every other node (rwo-rollout shows it); a rollout on the volume's own node is the only one that completes`,
          };
    case "shared":
      return strategy === "rolling-update"
        ? rolloutCompletes(
            "nothing enforces ReadWriteOnce across nodes for storage without attach: the new pod starts on the other node while the old one still runs, and the rollout completes",
            `RWO does not keep a rolling update off a second node on ${storage.className}: the old and the new pod held the volume on two nodes at once during the rollout`,
          )
        : rolloutCompletes(
            "storage without attach and without node affinity is reachable from every node: the new pod starts on the other node once the old one stops",
          );
    case "unknown":
      return unknownFamily(storage);
  }
}

/** The workloads family's steps: the workload on the first node, its token, the rollout to `to`, the token read back. */
const rolloutSteps = (
  workload: { kind: WorkloadKind; strategy?: RolloutStrategy },
  to: "first" | "second",
): Step[] => [
  { do: "claim" },
  { do: "workload", ...workload },
  { do: "write-token", pod: "a" },
  { do: "roll", to },
  { do: "read-token", pod: "b" },
];

/** What workloads hit through their controllers: rollouts and rescheduling on RWO and RWOP claims. */
export const workloadScenarios: readonly Scenario[] = [
  {
    id: "rwo-rollout",
    family: "workloads",
    title: "RWO: a Deployment's rolling update (default strategy) moves its pod to another node",
    accessMode: "ReadWriteOnce",
    placement: "cross-node",
    steps: rolloutSteps({ kind: "deployment", strategy: "rolling-update" }, "second"),
    expect: (storage) => rolloutToAnotherNode(storage, "rolling-update"),
  },
  {
    id: "rwo-rollout-recreate",
    family: "workloads",
    title: "RWO: a Deployment with the Recreate strategy moves its pod to another node",
    accessMode: "ReadWriteOnce",
    placement: "cross-node",
    steps: rolloutSteps({ kind: "deployment", strategy: "recreate" }, "second"),
    expect: (storage) => rolloutToAnotherNode(storage, "recreate"),
  },
  {
    id: "rwo-rollout-no-surge",
    family: "workloads",
    title: "RWO: a Deployment's rolling update with maxSurge 0 moves its pod to another node",
    accessMode: "ReadWriteOnce",
    placement: "cross-node",
    steps: rolloutSteps({ kind: "deployment", strategy: "no-surge" }, "second"),
    expect: (storage) => rolloutToAnotherNode(storage, "no-surge"),
  },
  {
    id: "rwop-rollout",
    family: "workloads",
    title: "RWOP: a Deployment's rolling update (default strategy) on the same node",
    accessMode: "ReadWriteOncePod",
    placement: "same-node",
    steps: rolloutSteps({ kind: "deployment", strategy: "rolling-update" }, "first"),
    expect: () =>
      rolloutStalls(
        "RollingUpdate's default maxSurge starts the new pod before the old one stops, and the old pod holds the ReadWriteOncePod claim: the scheduler refuses the new pod on every node, its own included, and the rollout stalls until its progress deadline (ProgressDeadlineExceeded); use Recreate with RWOP claims",
      ),
  },
  {
    id: "rwop-rollout-recreate",
    family: "workloads",
    title: "RWOP: a Deployment with the Recreate strategy on the same node",
    accessMode: "ReadWriteOncePod",
    placement: "same-node",
    steps: rolloutSteps({ kind: "deployment", strategy: "recreate" }, "first"),
    expect: () =>
      rolloutCompletes(
        "Recreate removes the old pod before it creates the new one: the ReadWriteOncePod claim is free when the new pod is scheduled",
      ),
  },
  {
    id: "rwo-statefulset-reschedule",
    family: "workloads",
    title: "RWO: a StatefulSet's pod must move to another node",
    accessMode: "ReadWriteOnce",
    placement: "cross-node",
    steps: rolloutSteps({ kind: "statefulset" }, "second"),
    expect: (storage) => {
      switch (storage.family) {
        case "attachable":
          return rolloutCompletes(
            "a StatefulSet deletes its pod before it creates the replacement (same name): the volume is detached from the old node and attached to the new one",
          );
        case "node-local":
          return rolloutStalls(
            "the volume exists on one node only: the StatefulSet's replacement pod stays Pending, the scheduler refusing every other node (PV node affinity)",
          );
        case "shared":
          return rolloutCompletes(
            "a StatefulSet deletes its pod before it creates the replacement, and storage without attach is reachable from every node",
          );
        case "unknown":
          return unknownFamily(storage);
      }
    },
  },
];

/** Zonal storage: a pod in another zone than its volume's is refused by the scheduler. */
const zonalRefusal = (storage: StorageProfile): Expectation => ({
  outcome: "node-affinity-conflict",
  because: `the volume lives in one zone (PV node affinity on ${storage.zoneKey}): the scheduler refuses every node of another zone`,
});

/** What a zone going down leaves the holder's replacement, by storage: it runs in another zone, or waits. */
function zoneFailover(storage: StorageProfile): ExpectationOrNot {
  const noFailover = (because: string): Expectation => ({
    outcome: "node-affinity-conflict",
    because,
    finding: `no zone failover for ${storage.className}: a pod whose zone is down cannot use its volume in another zone`,
  });
  if (storage.zoneKey) {
    return noFailover(
      `the volume lives in one zone (PV node affinity on ${storage.zoneKey}): with that zone's nodes unschedulable, the scheduler refuses every node of the others`,
    );
  }
  switch (storage.family) {
    case "attachable":
      return admitted(
        "the volume is not confined to a zone: once the holder is gone it is detached, and attached to the replacement's node in another zone",
      );
    case "node-local":
      return noFailover(
        "the volume exists on one node only: with that node's zone unschedulable, the scheduler refuses every other node (PV node affinity)",
      );
    case "shared":
      return admitted("the volume is reachable from every node: the replacement runs in another zone");
    case "unknown":
      return unknownFamily(storage);
  }
}

/**
 * The zones family: a pod in another zone than its volume's, and the
 * holder's zone going down (as upstream's regional-disk test takes a zone
 * down: a NoSchedule taint on each of its nodes).
 */
export const zoneScenarios: readonly Scenario[] = [
  {
    id: "rwo-cross-zone",
    title: "RWO: a second pod in another zone",
    family: "zones",
    accessMode: "ReadWriteOnce",
    placement: "cross-zone",
    steps: pairSteps("second"),
    expect: (storage) => (storage.zoneKey ? zonalRefusal(storage) : rwoAcrossNodes(storage)),
  },
  {
    id: "rwo-zone-failover",
    title: "RWO: the holder's zone goes down (its nodes unschedulable) and the holder is deleted",
    family: "zones",
    disrupts:
      "it taints every node of one zone NoSchedule while it runs (the suite's pods are kept out of that zone; other pods already running there stay)",
    accessMode: "ReadWriteOnce",
    placement: "cross-zone",
    steps: [
      { do: "claim" },
      { do: "pod", pod: "a", node: "first" },
      { do: "admitted", pod: "a" },
      { do: "write-token", pod: "a" },
      { do: "zone-down", holder: "a", by: "b" },
      { do: "read-token", pod: "b" },
    ],
    expect: (storage) => zoneFailover(storage),
  },
];

/**
 * What a node failure leads to on each storage family, on each path: whether
 * the workload runs elsewhere, and the finding when that is worth reporting.
 */
function failoverExpectation(storage: StorageProfile, path: FailoverPath): ExpectationOrNot {
  const failedOver = (because: string): Expectation => ({ outcome: "failed-over", because });
  const stuck = (because: string, finding: string): Expectation => ({
    outcome: "not-failed-over",
    because,
    finding,
  });
  switch (storage.family) {
    case "attachable":
      if (path === "none") {
        return stuck(
          "the evicted pod stays Terminating while no kubelet confirms it, so the attach/detach controller keeps the volume attached to the lost node and the replacement reports Multi-Attach",
          `no failover without intervention on ${storage.className}: the volume stays attached to the lost node`,
        );
      }
      return failedOver(
        path === "force-delete"
          ? "once the old pod is force-deleted the attach/detach controller detaches the volume (after its 6-minute wait for an unmount, as the node is not Ready) and attaches it to the replacement's node"
          : "the out-of-service taint makes PodGC force-delete the old pod and the attach/detach controller detach at once; the volume is attached to the replacement's node",
      );
    case "node-local":
      return stuck(
        "the volume exists on the lost node only: the scheduler refuses every other node (PV node affinity)",
        `volume unavailable while its node is down on ${storage.className}: the replacement cannot run elsewhere`,
      );
    case "shared":
      return failedOver(
        "storage without attach and without node affinity is reachable from every node: the replacement runs as soon as the old pod is evicted",
      );
    case "unknown":
      return unknownFamily(storage);
  }
}

const failoverScenario = (id: ScenarioId, title: string, path: FailoverPath): Scenario => ({
  id,
  title,
  accessMode: "ReadWriteOnce",
  placement: "cross-node",
  steps: [],
  failover: { path },
  expect: (storage) => failoverExpectation(storage, path),
});

/** The node-failure family: disruptive, run after the others by lib/failover/. */
export const failoverScenarios: readonly Scenario[] = [
  failoverScenario("rwo-node-loss", "RWO: the node dies and nobody intervenes", "none"),
  failoverScenario(
    "rwo-node-loss-force-delete",
    "RWO: the node dies and the operator force-deletes the old pod",
    "force-delete",
  ),
  failoverScenario(
    "rwo-node-out-of-service",
    "RWO: the node dies and the operator taints it out of service (non-graceful node shutdown)",
    "out-of-service",
  ),
];

export const allScenarios: readonly Scenario[] = [
  ...scenarios,
  ...blockScenarios,
  ...mixedModeScenarios,
  ...workloadScenarios,
  ...zoneScenarios,
  ...failoverScenarios,
];

/** The access modes a scenario's claim asks for. */
export function claimModes(scenario: Pick<Scenario, "accessMode" | "accessModes">): readonly AccessMode[] {
  return scenario.accessModes ?? [scenario.accessMode];
}

export function scenarioById(id: string): Scenario | undefined {
  return allScenarios.find((s) => s.id === id);
}

export const scenarioIds: readonly string[] = allScenarios.map((s) => s.id);

/** The scenarios a filter of ids selects (AMC_SCENARIOS, --scenario): every one when it is empty. */
export function selectScenarios(filter: readonly string[]): Scenario[] {
  return allScenarios.filter((s) => filter.length === 0 || filter.includes(s.id));
}

/** The ids of a filter that name no scenario. */
export function unknownScenarioIds(filter: readonly string[]): string[] {
  return filter.filter((id) => !scenarioIds.includes(id));
}
