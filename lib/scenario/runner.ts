import { randomBytes } from "node:crypto";
import type { ClusterInfo } from "../cluster/contract.ts";
import type { Kube } from "../kube/client.ts";
import { ignoreNotFound } from "../kube/errors.ts";
import {
  createNamespace,
  deleteNamespaceAndWait,
  removeNamespaces,
  waitForServiceAccount,
} from "../kube/namespaces.ts";
import { removeTaint, ZONE_DOWN_TAINT_KEY } from "../kube/taints.ts";
import { WaitTimeoutError } from "../kube/wait.ts";
import { CLASS_LABEL, SCENARIO_LABEL } from "../labels.ts";
import { formatDuration } from "../progress.ts";
import { type RunContext, runLabels } from "../run.ts";
import type { BackgroundCleanups } from "./background-cleanups.ts";
import { EventLog } from "./evidence.ts";
import { classPool, type NodePool } from "./nodes.ts";
import { describeStep, observedRecord, type ScenarioNames, scenarioRecord, timeoutReason } from "./record.ts";
import { recordFileName } from "./records.ts";
import type { Scenario } from "./scenarios.ts";
import { NotApplicable, type RunState, type StepContext } from "./steps/context.ts";
import { runStep } from "./steps/index.ts";
import type { Timeouts } from "./timeouts.ts";
import { nowMs, stepTiming } from "./timing.ts";
import { type ScenarioRecord, type StepTiming, type StorageProfile, shortAccessMode } from "./types.ts";
import { finalVerdict, runsSteps, scenarioGate } from "./verdict.ts";
import { type ScenarioWatch, scenarioWatch } from "./watch.ts";

/**
 * Runs one scenario on one storage class and returns its record. Every
 * scenario goes through here: try (the steps, one module per kind under
 * steps/), catch (a timeout is inconclusive; evidence is kept), finally (the
 * namespace and everything in it, volumes included, is deleted and waited
 * for). The rules are pure and apart: the verdict in verdict.ts, the record
 * and the steps' wording in record.ts, the timings in timing.ts.
 */

export interface ScenarioInput {
  kube: Kube;
  cluster: ClusterInfo;
  /**
   * The nodes pods may go to, every node's labels (to see which nodes a
   * volume reaches), whether the user named them (AMC_NODES), and the nodes
   * left out and why (for reasons). The scenario chooses its nodes from it.
   */
  pool: NodePool;
  storage: StorageProfile;
  scenario: Scenario;
  run: RunContext;
  timeouts: Timeouts;
  signal?: AbortSignal;
  /** Wraps each step (a test report's step); the runner itself knows no report format. */
  step?: <T>(name: string, body: () => Promise<T>) => PromiseLike<T>;
  /**
   * Where the clean-up goes once the verdict is in, to run while other cases
   * go on (the caller drains it, and adds each outcome to its record). Without
   * it the clean-up is awaited here, and is in the record.
   */
  cleanups?: BackgroundCleanups;
  /**
   * Why the caller will not let the scenario run on this cluster (a
   * disruptive one without its opt-in): the case is not applicable, with it.
   */
  refused?: string;
}

export interface ScenarioResult {
  record: ScenarioRecord;
  /** Set when the scenario's objects could not all be removed (the verdict stands; the run must not pass). */
  cleanupError?: Error;
}

/**
 * Runs the scenario. An infrastructure failure makes the record inconclusive, with the failure as its reason.
 * The record's key in `cleanups` is its file name (records.ts).
 */
export async function runScenario(input: ScenarioInput): Promise<ScenarioResult> {
  const { kube, cluster, storage, scenario, run, timeouts } = input;
  const pool = classPool(input.pool, storage);
  const label = `${scenario.id}@${storage.className}`;
  // The article's claim name, made unique: kube-scheduler 1.36 matches ReadWriteOncePod claims by
  // name alone while it simulates preemption, so a same-named claim in another namespace would let
  // one scenario's preemption pick another scenario's pod as its victim.
  const names: ScenarioNames = {
    claim: `${shortAccessMode[scenario.accessMode].toLowerCase()}-pvc-${randomBytes(3).toString("hex")}`,
    a: "pod-a",
    b: "pod-b",
  };
  const labels = {
    ...runLabels(run.runId),
    [SCENARIO_LABEL]: scenario.id,
    [CLASS_LABEL]: storage.className,
  };
  const state: RunState = {
    checks: [],
    events: new EventLog(),
    objects: [],
    manifests: {},
    timings: {},
    createdAtMs: {},
    priorityClasses: [],
    taintedNodes: [],
  };
  const steps: StepTiming[] = [];
  const cleanupNotes: string[] = [];
  const startedAt = new Date();
  const expectation = scenario.expect(storage);
  const gate = input.refused ?? scenarioGate(scenario, cluster.fidelity, pool);
  let namespace = "";
  /** The scenario's second namespace (rwop-preemption-namespaces), removed with the first. */
  let neighbourNamespace = "";
  let notApplicable: string | undefined;
  let undecided: string | undefined;
  let failure: unknown;
  let cleanupError: Error | undefined;
  /** The scenario's watches, kept from its first wait to its end. */
  let watch: ScenarioWatch | undefined;

  if (runsSteps(gate, expectation)) {
    try {
      namespace = await createNamespace(kube, `amc-${scenario.id}`, run, labels);
      // Awaited by the first pod; a step that fails first must not leave it rejected unheard.
      const serviceAccount = waitForServiceAccount(kube, namespace);
      serviceAccount.catch(() => undefined);
      let neighbour: StepContext["neighbour"];
      if (scenario.steps.some((s) => s.do === "neighbour")) {
        neighbourNamespace = await createNamespace(kube, `amc-${scenario.id}-n`, run, labels);
        neighbour = {
          namespace: neighbourNamespace,
          serviceAccount: waitForServiceAccount(kube, neighbourNamespace),
        };
        neighbour.serviceAccount.catch(() => undefined);
      }
      watch = scenarioWatch({
        kube,
        scope: {
          namespace,
          claim: names.claim,
          fidelity: cluster.fidelity,
          storage,
          deployments: scenario.steps.some((s) => s.do === "workload" && s.kind === "deployment"),
          ...(neighbour ? { neighbour: neighbour.namespace } : {}),
        },
        label,
        signal: input.signal,
        events: state.events,
        objects: state.objects,
        now: nowMs,
      });
      const context: StepContext = {
        kube,
        namespace,
        names,
        labels,
        scenario,
        storage,
        cluster,
        pool,
        run,
        timeouts,
        token: randomBytes(8).toString("hex"),
        serviceAccount,
        waitUntil: watch.wait,
        now: nowMs,
        state,
        ...(neighbour ? { neighbour } : {}),
      };
      for (const step of scenario.steps) {
        const stepStarted = new Date();
        const wrap = input.step ?? ((_name, body) => body());
        const wording = describeStep(step, { names, scenario, storage, nodes: state.nodes });
        const goOn = await wrap(wording, () => runStep(context, step));
        steps.push(stepTiming(step.do, stepStarted, Date.now()));
        if (!goOn) break;
      }
    } catch (error) {
      if (error instanceof NotApplicable) notApplicable = error.message;
      else if (error instanceof WaitTimeoutError) undecided = timeoutReason(error.message, state.objects);
      else failure = error;
    } finally {
      watch?.close();
      if (namespace) {
        const namespaces = neighbourNamespace ? [namespace, neighbourNamespace] : [namespace];
        const controllers = scenario.steps.some((s) => s.do === "workload");
        const work = () =>
          cleanUp({ kube, namespaces, controllers, label, timeouts, state, runId: run.runId });
        if (input.cleanups) {
          input.cleanups.start(
            recordFileName({ scenario: scenario.id, storageClass: storage.className }),
            namespaces,
            work,
          );
        } else {
          const started = new Date();
          await work().then(
            (notes) => cleanupNotes.push(...notes),
            (error: Error) => (cleanupError = error),
          );
          steps.push(stepTiming("clean-up", started, Date.now()));
        }
      }
    }
  }

  const { decision } = state;
  const verdict = finalVerdict({
    gate,
    notApplicable,
    failure,
    expectation,
    observed: decision,
    undecided,
    checks: state.checks,
  });
  const record = scenarioRecord({
    runId: run.runId,
    scenario,
    storage,
    cluster,
    namespace,
    nodes: state.nodes,
    expectation,
    observed: decision
      ? observedRecord(decision, decision.event && state.events.firstSeenMs(decision.event), Date.now())
      : undefined,
    verdict,
    checks: state.checks,
    cleanupNotes,
    evidence: { events: state.events.evidence(), objects: state.objects, manifests: state.manifests },
    timings: { startedAt, finishedAt: new Date(), measured: state.timings, steps },
  });
  return { record, ...(cleanupError ? { cleanupError } : {}) };
}

/** Removes what the scenario made; returns what could not be removed (volumes kept by their reclaim policy). */
async function cleanUp(options: {
  kube: Kube;
  namespaces: string[];
  /** The scenario made a Deployment or StatefulSet. */
  controllers: boolean;
  label: string;
  timeouts: Timeouts;
  state: RunState;
  /** The run's id: the value of its zone-down taint, the only one it removes. */
  runId: string;
}): Promise<string[]> {
  const { kube, namespaces, controllers, label, timeouts, state, runId } = options;
  const started = Date.now();
  // A zone taken down comes back first: other pods may be waiting for it. A taint that could not be
  // removed does not keep the namespaces: it is reported after them (the run's end tries it again).
  const untainted = await Promise.allSettled(
    state.taintedNodes.map((node) => removeTaint(kube, node, ZONE_DOWN_TAINT_KEY, runId)),
  );
  // Then PriorityClasses: they are cluster-scoped, and the namespace's deletion may fail.
  for (const name of state.priorityClasses) {
    await kube.scheduling.deletePriorityClass({ name }).catch(ignoreNotFound);
  }
  const notes = await removeNamespaces(namespaces, (namespace) =>
    deleteNamespaceAndWait(kube, namespace, timeouts.cleanup, { controllers }),
  );
  const taintLeft = untainted.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (taintLeft) throw taintLeft.reason;
  for (const note of notes) process.stderr.write(`[amc ${label}] ${note}\n`);
  if (Date.now() - started > 15_000) {
    process.stderr.write(`[amc ${label}] clean-up took ${formatDuration(Date.now() - started)}\n`);
  }
  return notes;
}
