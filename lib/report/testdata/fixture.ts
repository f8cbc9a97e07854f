import { readdirSync, readFileSync } from "node:fs";
import type { ScenarioRecord } from "../../scenario/types.ts";
import type { RunPlan } from "../plan.ts";

/**
 * Whole runs as they were written (plan, records, end): the reports' test input.
 * `run/`: every scenario but the node-failure ones on the local cluster.
 * `kind-failover/` and `local-failover/`: recorded runs of the node-failure
 * scenarios alone (--scenario rwo-node-loss,rwo-node-loss-force-delete,rwo-node-out-of-service),
 * both fault modes planned, copied from the run's records directory (JSON formatted by Biome,
 * content unchanged); made on 2026-12-01 on the development machine (host `vm`), Kubernetes
 * v1.36.3, with the default failover budget (AMC_FAILOVER_BUDGET, 120 s):
 * - `kind-failover/`: run 20261201t231158-8cd7 on the kind cluster `amc-dev` (real
 *   kubelets, full fidelity): both fault modes injected.
 * - `local-failover/`: run 20261201t225401-5686 on the local cluster `amc-b1ede0` (kwok,
 *   control-plane fidelity): only the kubelet-stopped mode injected; the powered-off cases are
 *   recorded not applicable, as this cluster cannot power a node off.
 * - `kind-workloads/`: run 20261202t041019-2170 of the workloads family alone (--scenario
 *   rwo-rollout,rwo-rollout-recreate,rwo-rollout-no-surge,rwop-rollout,rwop-rollout-recreate,
 *   rwo-statefulset-reschedule) on the kind cluster `amc-wl` (real kubelets), 2026-12-02.
 * - `local-preemption-namespaces/`: a run of rwop-preemption and rwop-preemption-namespaces
 *   (--scenario) on a local cluster, 2026-12-02: kube-scheduler v1.36.3's cross-namespace
 *   defect on every class, a finding about the cluster.
 */
function recordedRun(name: string) {
  const dir = new URL(`./${name}/`, import.meta.url);
  const read = <T>(file: string) => JSON.parse(readFileSync(new URL(file, dir), "utf8")) as T;
  return {
    plan: read<RunPlan>("plan.json"),
    end: read<{ finishedAt: string; status: "complete" }>("end.json"),
    records: readdirSync(dir)
      .filter((f) => f.includes("@"))
      .sort()
      .map((f) => read<ScenarioRecord>(f)),
  };
}

const run = recordedRun("run");
export const recordedPlan = run.plan;
export const recordedEnd = run.end;
export const recordedRecords: ScenarioRecord[] = run.records;

/** The node-failure scenarios on kind: 4 classes x 3 scenarios x 2 fault modes. */
export const kindFailover = recordedRun("kind-failover");
/** The workloads family on kind: 4 classes x 6 scenarios. */
export const kindWorkloads = recordedRun("kind-workloads");
/**
 * The access-mode space on kind (2026-12-02): the access-mode scenarios on
 * filesystem and raw block volumes, ReadOnlyMany, the mixed modes and one
 * rollout, 4 classes x 21 scenarios: every group of the matrix.
 */
export const kindAccessSpace = recordedRun("kind-access-space");
/**
 * The zones on kind (2026-12-02, run 20261202t105012-7757, --scenario
 * rwo-cross-node,rwo-cross-zone,rwo-zone-failover): 5 classes x 3 scenarios, on a cluster
 * with two workers in amc-zone-a and one in amc-zone-b. Recorded by d3cd25b, which also
 * wrote a detachMs for rwo-zone-failover on storage without attach (the time to its first
 * look); the suite no longer does.
 */
export const kindZones = recordedRun("kind-zones");
/** rwop-preemption and rwop-preemption-namespaces on the local cluster: 3 classes x 2 scenarios. */
export const localPreemptionNamespaces = recordedRun("local-preemption-namespaces");
/** The node-failure scenarios on the local cluster (simulated nodes): 3 classes x 3 scenarios x 2 fault modes, powered-off not applicable. */
export const localFailover = recordedRun("local-failover");
