import type { CoreV1Event } from "@kubernetes/client-node";
import type { ClusterInfo } from "../../cluster/contract.ts";
import type { Kube } from "../../kube/client.ts";
import type { RunContext } from "../../run.ts";
import type { Decision } from "../classify.ts";
import type { EventLog } from "../evidence.ts";
import type { NodeChoice, NodePool } from "../nodes.ts";
import type { ScenarioNames } from "../record.ts";
import { claimModes, type PodSlot, type Scenario, type Step } from "../scenarios.ts";
import type { Timeouts } from "../timeouts.ts";
import type { MeasuredTimings } from "../timing.ts";
import type { Check, ObjectEvidence, StorageProfile, WorkloadKind } from "../types.ts";
import type { Waiter } from "../watch.ts";

/**
 * What a step gets: the cluster to act on, the scenario's names and
 * namespace, the one wait helper, and what the run has made and observed so
 * far (`state`, which steps add to). A step returns whether the scenario goes
 * on; it throws NotApplicable when the scenario cannot apply, and a wait's
 * WaitTimeoutError leaves it undecided (runner.ts catches both).
 */
export interface StepContext {
  kube: Kube;
  namespace: string;
  names: ScenarioNames;
  /** The labels of every object the scenario creates (run, scenario, class). */
  labels: Record<string, string>;
  scenario: Scenario;
  storage: StorageProfile;
  cluster: ClusterInfo;
  pool: NodePool;
  run: RunContext;
  timeouts: Timeouts;
  /** What pod A writes to the volume and pod B must read back (data-check). */
  token: string;
  /**
   * The namespace's "default" ServiceAccount exists: pods are refused until
   * it does, claims are not, so the claim goes first and only pods wait.
   */
  serviceAccount: Promise<void>;
  waitUntil: Waiter;
  /** The scenario's second namespace, when its steps need one (rwop-preemption-namespaces). */
  neighbour?: { namespace: string; serviceAccount: Promise<void> };
  /** The clock (epoch ms with a sub-millisecond fraction). */
  now: () => number;
  state: RunState;
}

/** What a scenario's run has made and observed so far: the record is built from it. */
export interface RunState {
  /** The nodes the claim step chose. */
  nodes?: NodeChoice;
  /** The last decision observed (decide, preempt, hand-over). */
  decision?: Decision;
  /** Kubelet-level checks. */
  checks: Check[];
  /** Every event seen, once. */
  events: EventLog;
  /** The pods' and attachments' states when each wait ended. */
  objects: ObjectEvidence[];
  /** Every manifest as applied, by object name. */
  manifests: Record<string, string>;
  timings: MeasuredTimings;
  /** When each pod was created (the API's answer), for decision times. */
  createdAtMs: Partial<Record<PodSlot, number>>;
  /** The run's PriorityClasses, cluster-scoped: the clean-up removes them. */
  priorityClasses: string[];
  /** The nodes the zone failover tainted (zone-down.ts): the clean-up removes the run's taint from them first. */
  taintedNodes: string[];
  /** The workloads family's Deployment or StatefulSet, and the pod it ran first (pod A). */
  workload?: { kind: WorkloadKind; name: string; oldPod: { name: string; uid: string; node: string } };
}

/** One step kind's code: whether the scenario goes on after it. */
export type StepCode<K extends Step["do"]> = (
  context: StepContext,
  step: Extract<Step, { do: K }>,
) => Promise<boolean>;

/** Raised inside a run when a step shows the scenario cannot apply (a refused access mode). */
export class NotApplicable extends Error {}

/** The class refused to provision the claim in the scenario's access mode. */
export function refusal(context: StepContext, event: CoreV1Event): NotApplicable {
  return new NotApplicable(
    `${context.storage.className} cannot provision ${claimModes(context.scenario).join(" with ")}${context.scenario.volumeMode === "Block" ? " raw block" : ""}: ${event.message ?? ""}`,
  );
}
