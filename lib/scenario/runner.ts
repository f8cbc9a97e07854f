import { randomBytes } from "node:crypto";
import type {
  CoreV1Event,
  V1PersistentVolumeClaim,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import pRetry from "p-retry";
import type { ClusterInfo, ClusterNode } from "../cluster/contract.ts";
import type { Kube } from "../kube/client.ts";
import { apiErrorMessage, ignoreNotFound } from "../kube/errors.ts";
import { execInPod } from "../kube/exec.ts";
import { createNamespace, deleteNamespaceAndWait, waitForServiceAccount } from "../kube/namespaces.ts";
import { resources } from "../kube/resources.ts";
import { type Snapshot, WaitTimeoutError, watchUntil } from "../kube/wait.ts";
import { CLASS_LABEL, SCENARIO_LABEL } from "../labels.ts";
import { hostnameOf, renderClaim, renderPod, renderPriorityClass, toYaml } from "../manifests.ts";
import { formatDuration, heartbeat } from "../progress.ts";
import { type RunContext, runAnnotations, runLabels } from "../run.ts";
import { volumeReach, zoneKeyOf } from "../storage/family.ts";
import {
  admittedOn,
  type Decision,
  decide,
  handedOver,
  type Observations,
  preempted,
  provisioningRefusal,
} from "./classify.ts";
import { attachmentState, detectionGap, EventLog, podState, toEventEvidence } from "./evidence.ts";
import { chooseNodes, type NodeChoice, type PoolFacts, placementGate } from "./nodes.ts";
import type { Pod, Scenario, Step } from "./scenarios.ts";
import type { Timeouts } from "./timeouts.ts";
import {
  type Check,
  RUN_RECORD_SCHEMA,
  type RunRecord,
  type StepTiming,
  type StorageProfile,
  shortAccessMode,
} from "./types.ts";
import { judge } from "./verdict.ts";

/**
 * Runs one scenario on one storage class and returns its record. Every
 * scenario goes through here: try (the steps), catch (a timeout is
 * inconclusive; evidence is kept), finally (the namespace and everything in
 * it, volumes included, is deleted and waited for).
 */

export interface ScenarioInput {
  kube: Kube;
  cluster: ClusterInfo;
  /** Schedulable nodes, and every node's labels (to see which nodes a volume reaches). */
  nodes: readonly ClusterNode[];
  nodeLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether the user named the nodes (AMC_NODES), and the nodes left out and why (for reasons). */
  pool?: PoolFacts;
  storage: StorageProfile;
  scenario: Scenario;
  run: RunContext;
  timeouts: Timeouts;
  signal?: AbortSignal;
  /** Wraps each step (a test report's step); the runner itself knows no report format. */
  step?: <T>(name: string, body: () => Promise<T>) => PromiseLike<T>;
}

/** Wall-clock milliseconds with a sub-millisecond fraction. */
const nowMs = () => performance.timeOrigin + performance.now();

type Sources = "pods" | "events" | "claims" | "attachments";

/** Raised inside a run when a step shows the scenario cannot apply (a refused access mode). */
class NotApplicable extends Error {}

class ScenarioRun {
  private readonly input: ScenarioInput;
  private readonly label: string;
  private readonly events = new EventLog();
  private readonly objects: RunRecord["evidence"]["objects"] = [];
  private readonly manifests: Record<string, string> = {};
  private readonly checks: Check[] = [];
  private readonly cleanupNotes: string[] = [];
  private readonly steps: StepTiming[] = [];
  private readonly timings: Partial<RunRecord["timings"]> = {};
  private readonly createdAtMs: Partial<Record<Pod, number>> = {};
  private readonly names: { claim: string; a: string; b: string };
  private namespace = "";
  private nodes?: NodeChoice;
  private observed?: Decision;
  private priorityClasses: string[] = [];
  private readonly token = randomBytes(8).toString("hex");

  constructor(input: ScenarioInput) {
    this.input = input;
    this.label = `${input.scenario.id}@${input.storage.className}`;
    // The article's claim name, made unique: kube-scheduler 1.36 matches ReadWriteOncePod claims by
    // name alone while it simulates preemption, so a same-named claim in another namespace would let
    // one scenario's preemption pick another scenario's pod as its victim.
    this.names = {
      claim: `${shortAccessMode[input.scenario.accessMode].toLowerCase()}-pvc-${randomBytes(3).toString("hex")}`,
      a: "pod-a",
      b: "pod-b",
    };
  }

  private get kube() {
    return this.input.kube;
  }

  private labels(): Record<string, string> {
    return {
      ...runLabels(this.input.run.runId),
      [SCENARIO_LABEL]: this.input.scenario.id,
      [CLASS_LABEL]: this.input.storage.className,
    };
  }

  private sources() {
    const namespace = this.namespace;
    return {
      pods: { resource: resources.pods, namespace },
      events: { resource: resources.events, namespace },
      claims: { resource: resources.persistentVolumeClaims, namespace },
      attachments: { resource: resources.volumeAttachments },
    };
  }

  private observations(snapshot: Snapshot<Sources>): Observations {
    const claim = snapshot.claims.get(`${this.namespace}/${this.names.claim}`) as
      | V1PersistentVolumeClaim
      | undefined;
    const volume = claim?.spec?.volumeName;
    const pods = new Map([...snapshot.pods.values()].map((p) => [p.metadata?.name ?? "", p as V1Pod]));
    return {
      fidelity: this.input.cluster.fidelity,
      attachRequired:
        this.input.storage.csiDriver?.attachRequired ?? this.input.storage.family === "attachable",
      pods,
      events: [...snapshot.events.values()] as CoreV1Event[],
      attachments: ([...snapshot.attachments.values()] as V1VolumeAttachment[]).filter(
        (va) => volume !== undefined && va.spec.source.persistentVolumeName === volume,
      ),
      ...(claim ? { claim } : {}),
    };
  }

  /**
   * Waits, through the one waiter, until `until` answers. Keeps every event
   * seen, and the pods' and attachments' states when the wait ends, as evidence.
   */
  private async waitUntil<R>(
    what: string,
    timeoutMs: number,
    until: (observations: Observations) => R | undefined,
  ): Promise<R> {
    const stop = heartbeat(this.label, (elapsed) => `waiting for ${what}: ${elapsed}`);
    let last: Observations | undefined;
    try {
      const result = await watchUntil<Sources, R>(
        this.kube,
        this.sources(),
        {
          description: what,
          timeoutMs,
          ...(this.input.signal ? { signal: this.input.signal } : {}),
          observe: (source, _type, object, receivedAt) => {
            if (source === "events") this.events.add(object as CoreV1Event, receivedAt, nowMs());
          },
        },
        (snapshot) => {
          last = this.observations(snapshot);
          return until(last);
        },
      );
      return result;
    } finally {
      stop();
      if (last) this.recordStates(last);
    }
  }

  private recordStates(observations: Observations): void {
    const at = new Date();
    for (const pod of observations.pods.values()) this.objects.push(podState(pod, at));
    for (const attachment of observations.attachments) this.objects.push(attachmentState(attachment, at));
  }

  private async createPod(
    pod: Pod,
    node: string,
    options: { priority?: "low" | "high"; bypassScheduler?: boolean },
  ) {
    const body = renderPod({
      name: this.names[pod],
      namespace: this.namespace,
      labels: this.labels(),
      claimName: this.names.claim,
      image: this.input.run.image,
      node,
      ...hostnameOf(node, this.input.nodeLabels),
      ...(options.bypassScheduler ? { bypassScheduler: true } : {}),
      ...(options.priority ? { priorityClassName: await this.priorityClass(options.priority) } : {}),
    });
    this.manifests[this.names[pod]] = toYaml(body);
    // The API server's Priority admission reads PriorityClasses from a cache that may not have
    // the one created a moment ago yet ("no PriorityClass with name ... was found").
    await pRetry(() => this.kube.core.createNamespacedPod({ namespace: this.namespace, body }), {
      retries: 10,
      minTimeout: 100,
      maxTimeout: 500,
      shouldRetry: ({ error }) => /no PriorityClass with name/.test(apiErrorMessage(error)),
    });
    this.createdAtMs[pod] = nowMs();
  }

  /** The run's PriorityClasses for preemption (cluster-scoped, labelled, removed at the end). */
  private async priorityClass(level: "low" | "high"): Promise<string> {
    const name = `${this.namespace}-${level}`;
    if (!this.priorityClasses.includes(name)) {
      const body = renderPriorityClass(
        name,
        level === "low" ? 100 : 1_000_000,
        this.labels(),
        runAnnotations(this.input.run),
      );
      this.manifests[name] = toYaml(body);
      await this.kube.scheduling.createPriorityClass({ body });
      this.priorityClasses.push(name);
    }
    return name;
  }

  private nodeFor(slot: "first" | "second"): string {
    const node = slot === "first" ? this.nodes?.first : this.nodes?.second;
    if (!node) throw new Error(`no ${slot} node chosen`);
    return node;
  }

  private refusal(event: CoreV1Event): NotApplicable {
    const mode = this.input.scenario.accessMode;
    return new NotApplicable(
      `${this.input.storage.className} cannot provision ${mode}: ${event.message ?? ""}`,
    );
  }

  /** A step as a person would say it, for test reports ("place pod-b on amc-node-a2"). */
  private describeStep(step: Step): string {
    const { storage, scenario } = this.input;
    switch (step.do) {
      case "claim":
        return `create PVC ${this.names.claim} (${scenario.accessMode}, class ${storage.className})`;
      case "pod": {
        const how = step.bypassScheduler ? " with spec.nodeName, bypassing the scheduler" : "";
        return `place ${this.names[step.pod]}${step.priority ? ` (${step.priority} priority)` : ""} on ${this.nodeFor(step.node)}${how}`;
      }
      case "admitted":
        return `wait for ${this.names[step.pod]} to be admitted`;
      case "decide":
        return `wait for the control plane's decision on ${this.names[step.pod]}`;
      case "write-token":
        return `write a token to the volume from ${this.names[step.pod]}`;
      case "read-token":
        return `read the token back from ${this.names[step.pod]}`;
      case "hand-over":
        return `delete ${this.names[step.from]} and wait for the volume to reach ${this.names[step.to]}'s node`;
      case "preempt":
        return `place ${this.names[step.by]} (high priority) and wait for it to preempt ${this.names[step.holder]}`;
    }
  }

  /** Runs one step; returns false when the scenario ends here. */
  private async step(step: Step): Promise<boolean> {
    const { timeouts, storage, scenario } = this.input;
    switch (step.do) {
      case "claim": {
        const body = renderClaim({
          name: this.names.claim,
          namespace: this.namespace,
          labels: this.labels(),
          accessMode: scenario.accessMode,
          storageClassName: storage.className,
        });
        this.manifests[this.names.claim] = toYaml(body);
        await this.kube.core.createNamespacedPersistentVolumeClaim({ namespace: this.namespace, body });
        let reachableFrom: string[] | undefined;
        if (storage.volumeBindingMode !== "WaitForFirstConsumer") {
          const bound = await this.waitUntil(`${this.names.claim} to bind`, timeouts.claimBound, (o) => {
            if (o.claim?.status?.phase === "Bound") return { volume: o.claim.spec?.volumeName ?? "" };
            const refused = provisioningRefusal(o);
            if (refused) throw this.refusal(refused);
            return undefined;
          });
          const pv = await this.kube.core.readPersistentVolume({ name: bound.volume });
          reachableFrom = volumeReach(pv, this.input.nodeLabels).reachableFrom;
        }
        const { nodes, nodeLabels, pool } = this.input;
        const zoneKey = zoneKeyOf(storage.family, storage.probe, nodeLabels);
        const choice = chooseNodes(nodes, scenario.placement, {
          ...pool,
          ...(reachableFrom ? { reachableFrom } : {}),
          ...(zoneKey ? { zoneKey, nodeLabels } : {}),
        });
        if ("notApplicable" in choice) throw new NotApplicable(choice.notApplicable);
        this.nodes = choice;
        return true;
      }
      case "pod":
        await this.createPod(step.pod, this.nodeFor(step.node), {
          ...(step.priority ? { priority: step.priority } : {}),
          ...(step.bypassScheduler ? { bypassScheduler: true } : {}),
        });
        return true;
      case "admitted": {
        await this.waitUntil(`${this.names[step.pod]} to be admitted`, timeouts.admitted, (o) => {
          const node = admittedOn(o, this.names[step.pod]);
          if (node) return node;
          const refused = provisioningRefusal(o);
          if (refused) throw this.refusal(refused);
          return undefined;
        });
        return true;
      }
      case "decide": {
        const subject = this.names[step.pod];
        const holder = this.names[step.pod === "a" ? "b" : "a"];
        const decision = await this.waitUntil(
          `the control plane's decision on ${subject}`,
          timeouts.decision,
          (o) => decide(o, subject, holder),
        );
        this.decided(decision, step.pod);
        await this.checkStuck(decision, subject);
        return true;
      }
      case "write-token":
      case "read-token":
        await this.dataCheck(step);
        return true;
      case "hand-over":
        // A handoff only means something when the waiting pod was blocked by attach.
        if (this.observed?.outcome !== "multi-attach-blocked") return false;
        await this.handOver(step.from, step.to);
        return true;
      case "preempt": {
        await this.createPod(step.by, this.nodeFor("first"), { priority: "high" });
        const decision = await this.waitUntil(
          `${this.names[step.by]} to preempt ${this.names[step.holder]}`,
          timeouts.preemption,
          (o) => preempted(o, this.names[step.holder], this.names[step.by]),
        );
        this.decided(decision, step.by);
        return true;
      }
    }
  }

  /** Keeps the decision and its timings: from the pod's creation, and from the deciding event's emission. */
  private decided(decision: Decision, pod: Pod): void {
    const decidedAt = nowMs();
    this.observed = decision;
    const created = this.createdAtMs[pod];
    if (created !== undefined) this.timings.decisionMs = Math.round((decidedAt - created) * 10) / 10;
    if (decision.event) {
      const gap = detectionGap(decision.event, this.events.firstSeenMs(decision.event) ?? decidedAt);
      if (gap) {
        this.timings.detectionGapMs = gap.ms;
        this.timings.detectionGapPrecision = gap.precision;
      }
    }
  }

  /** Kubelet level: a pod blocked by Multi-Attach must stay in ContainerCreating. */
  private async checkStuck(decision: Decision, subject: string): Promise<void> {
    if (decision.outcome !== "multi-attach-blocked") return;
    const title = "pod B is stuck in ContainerCreating while the volume is attached elsewhere";
    if (this.input.cluster.fidelity !== "full") {
      this.checks.push({
        id: "pod-b-stuck",
        title,
        status: "not-applicable",
        detail: "needs real kubelets: on simulated nodes every pod is marked Running whatever its volumes",
      });
      return;
    }
    // The attach/detach controller may speak before the kubelet has reported the pod at all.
    const pod = await this.waitUntil(
      `${subject}'s status from its kubelet`,
      this.input.timeouts.decision,
      (o) => {
        const seen = o.pods.get(subject);
        return seen?.status?.containerStatuses?.length || seen?.status?.phase === "Running"
          ? seen
          : undefined;
      },
    ).catch((error: unknown) => {
      if (error instanceof WaitTimeoutError) return undefined;
      throw error;
    });
    if (!pod) {
      this.checks.push({
        id: "pod-b-stuck",
        title,
        status: "inconclusive",
        detail: "the kubelet reported no status for pod B",
      });
      return;
    }
    const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting?.reason;
    const stuck = pod.status?.phase === "Pending" && waiting === "ContainerCreating";
    this.checks.push({
      id: "pod-b-stuck",
      title,
      status: stuck ? "passed" : "failed",
      detail: `pod B is ${pod.status?.phase ?? "gone"}${waiting ? ` (${waiting})` : ""}`,
    });
  }

  /** Kubelet level: pod B reads the token pod A wrote into the shared volume. */
  private async dataCheck(step: Extract<Step, { do: "write-token" | "read-token" }>): Promise<void> {
    const title = "pod B reads what pod A wrote to the volume";
    const { cluster, timeouts } = this.input;
    if (step.do === "write-token") {
      if (cluster.fidelity !== "full") return;
      const write = ["sh", "-c", `echo ${this.token} > /data/amc-token`];
      await execInPod(this.kube, this.namespace, this.names[step.pod], "app", write, timeouts.exec);
      return;
    }
    if (cluster.fidelity !== "full") {
      this.checks.push({
        id: "data-shared",
        title,
        status: "not-applicable",
        detail: "needs real kubelets to mount the volume",
      });
      return;
    }
    if (this.observed?.outcome !== "admitted") {
      this.checks.push({
        id: "data-shared",
        title,
        status: "not-applicable",
        detail: "pod B was not admitted",
      });
      return;
    }
    const read = await execInPod(
      this.kube,
      this.namespace,
      this.names[step.pod],
      "app",
      ["cat", "/data/amc-token"],
      timeouts.exec,
    );
    const shared = read.stdout.trim() === this.token;
    this.checks.push({
      id: "data-shared",
      title,
      status: shared ? "passed" : "failed",
      detail: shared
        ? `pod B read the token ${this.token}`
        : `pod B read "${read.stdout.trim()}" ${read.stderr.trim()}`,
    });
  }

  private async handOver(from: Pod, to: Pod): Promise<void> {
    const holder = this.names[from];
    const waiting = this.names[to];
    const holderNode = this.nodeFor("first");
    const started = nowMs();
    await this.kube.core.deleteNamespacedPod({ name: holder, namespace: this.namespace });
    const seen: { holderGone?: number; oldGone?: number; newAttached?: number } = {};
    const decision = await this.waitUntil(
      `the volume to move from ${holderNode} to ${waiting}'s node`,
      this.input.timeouts.handover,
      (o) => {
        const progress = handedOver(o, holder, holderNode, waiting);
        const now = nowMs();
        if (progress.holderGone) seen.holderGone ??= now;
        if (progress.oldAttachmentGone) seen.oldGone ??= now;
        if (o.attachments.some((va) => va.spec.nodeName !== holderNode && va.status?.attached))
          seen.newAttached ??= now;
        return "outcome" in progress ? progress : undefined;
      },
    );
    const done = nowMs();
    this.observed = decision;
    this.timings.handoffMs = Math.round(done - started);
    if (seen.holderGone !== undefined && seen.oldGone !== undefined) {
      this.timings.detachMs = Math.round(seen.oldGone - seen.holderGone);
    }
    if (seen.oldGone !== undefined && seen.newAttached !== undefined) {
      this.timings.attachMs = Math.round(seen.newAttached - seen.oldGone);
    }
  }

  async execute(): Promise<ScenarioResult> {
    const { scenario, storage, cluster, run, nodes } = this.input;
    const startedAt = new Date();
    const expectation = scenario.expect(storage);
    let notApplicable: string | undefined;
    let undecided: string | undefined;
    let failure: unknown;
    let cleanupError: Error | undefined;

    if (scenario.needsKubelet && cluster.fidelity !== "full") notApplicable = scenario.needsKubelet;
    else notApplicable = placementGate(nodes, scenario.placement, this.input.pool);
    const runsSteps = !notApplicable && !("notApplicable" in expectation) && !("inconclusive" in expectation);
    if (runsSteps) {
      try {
        this.namespace = await createNamespace(this.kube, `amc-${scenario.id}`, run, this.labels());
        await waitForServiceAccount(this.kube, this.namespace);
        for (const step of scenario.steps) {
          const stepStarted = new Date();
          const wrap = this.input.step ?? ((_name, body) => body());
          const goOn = await wrap(this.describeStep(step), () => this.step(step));
          this.steps.push({
            step: step.do,
            startedAt: stepStarted.toISOString(),
            ms: Date.now() - stepStarted.getTime(),
          });
          if (!goOn) break;
        }
      } catch (error) {
        if (error instanceof NotApplicable) notApplicable = error.message;
        else if (error instanceof WaitTimeoutError) undecided = `${error.message}${this.lastStates()}`;
        else failure = error;
      } finally {
        if (this.namespace) await this.cleanUp().catch((error: Error) => (cleanupError = error));
      }
    }

    const judged = notApplicable
      ? { verdict: "not-applicable" as const, reason: notApplicable }
      : failure
        ? { verdict: "inconclusive" as const, reason: `the run failed: ${apiErrorMessage(failure)}` }
        : judge(expectation, this.observed, undecided);
    const failedCheck = this.checks.find((c) => c.status === "failed");
    const verdict =
      failedCheck && (judged.verdict === "conforms" || judged.verdict === "finding")
        ? { verdict: "deviates" as const, reason: `${failedCheck.title}: no, ${failedCheck.detail}` }
        : judged;

    const record: RunRecord = {
      schema: RUN_RECORD_SCHEMA,
      runId: run.runId,
      scenario: scenario.id,
      title: scenario.title,
      accessMode: scenario.accessMode,
      storageClass: storage.className,
      provisioner: storage.provisioner,
      storageFamily: storage.family,
      familyReason: storage.familyReason,
      cluster: {
        provider: cluster.provider,
        name: cluster.name,
        fidelity: cluster.fidelity,
        kubernetesVersion: cluster.kubernetesVersion,
      },
      ...(this.namespace ? { namespace: this.namespace } : {}),
      nodes: {
        ...(this.nodes ? { a: this.nodes.first, b: this.nodes.second ?? this.nodes.first } : {}),
        reason: this.nodes?.reason ?? "no pods were placed",
      },
      ...("outcome" in expectation ? { expected: expectation } : {}),
      ...(this.observed ? { observed: this.observedRecord(this.observed) } : {}),
      verdict: verdict.verdict,
      reason: verdict.reason,
      checks: this.checks,
      ...(this.cleanupNotes.length > 0 ? { cleanupNotes: this.cleanupNotes } : {}),
      evidence: { events: this.events.evidence(), objects: this.objects, manifests: this.manifests },
      timings: {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        ...this.timings,
        steps: this.steps,
      },
    };
    return { record, ...(cleanupError ? { cleanupError } : {}) };
  }

  private observedRecord(decision: Decision): NonNullable<RunRecord["observed"]> {
    const event = decision.event;
    const seenMs = event ? this.events.firstSeenMs(event) : undefined;
    return {
      outcome: decision.outcome,
      summary: decision.summary,
      ...(event ? { decidedBy: toEventEvidence(event, new Date(seenMs ?? Date.now())) } : {}),
    };
  }

  private lastStates(): string {
    const lastAt = this.objects.at(-1)?.at;
    const states = this.objects.filter((o) => o.at === lastAt).map((o) => `${o.kind} ${o.name}: ${o.state}`);
    return states.length > 0 ? `; last seen: ${states.join("; ")}` : "";
  }

  private async cleanUp(): Promise<void> {
    const started = Date.now();
    try {
      // PriorityClasses first: they are cluster-scoped, and the namespace's deletion may fail.
      for (const name of this.priorityClasses) {
        await this.kube.scheduling.deletePriorityClass({ name }).catch(ignoreNotFound);
      }
      this.cleanupNotes.push(
        ...(await deleteNamespaceAndWait(this.kube, this.namespace, this.input.timeouts.cleanup)),
      );
      for (const note of this.cleanupNotes) process.stderr.write(`[amc ${this.label}] ${note}\n`);
    } finally {
      this.steps.push({
        step: "clean-up",
        startedAt: new Date(started).toISOString(),
        ms: Date.now() - started,
      });
      if (Date.now() - started > 15_000) {
        process.stderr.write(`[amc ${this.label}] clean-up took ${formatDuration(Date.now() - started)}\n`);
      }
    }
  }
}

export interface ScenarioResult {
  record: RunRecord;
  /** Set when the scenario's objects could not all be removed (the verdict stands; the run must not pass). */
  cleanupError?: Error;
}

/** Runs the scenario. An infrastructure failure makes the record inconclusive, with the failure as its reason. */
export function runScenario(input: ScenarioInput): Promise<ScenarioResult> {
  return new ScenarioRun(input).execute();
}
