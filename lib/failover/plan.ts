import {
  type NodeFaultMode,
  type NodeFaultsOrWhyNot,
  nodeFaultModes,
  nodeFaultModeText,
} from "../cluster/contract.ts";
import { type NodePool, placementGate } from "../scenario/nodes.ts";
import type { Scenario } from "../scenario/scenarios.ts";
import type { StorageProfile } from "../scenario/types.ts";
import { DEFAULT_FAILOVER_BUDGET_MS, type FailoverSettings } from "../settings.ts";
import { pathBudgetMs } from "./fault-input.ts";
import type { FailoverCase } from "./writers.ts";

/**
 * Which faults a run injects, and which cases each one serves. One fault
 * serves every class at once; the paths that cannot share a fault get their
 * own: the out-of-service taint force-deletes every pod of the node, so it
 * would end the other paths' wait. Per mode: the default and force-delete
 * paths, then the out-of-service path. Cases that cannot run get a reason.
 *
 * Each fault runs in a lane: a pair of nodes, the one it fails and the one
 * the workload moves to. A lane's faults run one after another; on a cluster
 * the suite owns with nodes to spare there are two lanes, so that faults
 * (mostly waits on the control plane's timers) run side by side. Lanes share
 * no node, and an extra lane is used only where every class would fare as on
 * the first (both nodes in one zone or not, the class's node plugin on both
 * or not): the verdicts cannot depend on the lane.
 */

/** The node a fault fails and the node its workloads may move to. */
export interface FaultNodes {
  failed: string;
  other: string;
}

export interface PlannedFault {
  mode: NodeFaultMode;
  /** Which lane (an index into FailoverPlan.lanes) it runs in, after the lane's earlier faults. */
  lane: number;
  nodes: FaultNodes;
  cases: FailoverCase[];
}

export interface NotRun {
  scenario: Scenario;
  storage: StorageProfile;
  mode: NodeFaultMode;
  verdict: "not-applicable" | "inconclusive";
  reason: string;
}

export interface FailoverPlan {
  /** The lanes the faults use; empty when none runs. Every failed node among them is the guardian's to restore. */
  lanes: FaultNodes[];
  faults: PlannedFault[];
  notRun: NotRun[];
}

/**
 * How many lanes a run may use: one on a cluster the suite does not own (the
 * opt-in is to fail a node, not several at once) or when a node is named
 * (AMC_FAULT_NODE); two otherwise (two nodes down at once, in two zones on
 * the suite's clusters).
 */
export function laneLimit(ownsCluster: boolean, settings: Pick<FailoverSettings, "node">): number {
  return ownsCluster && settings.node === undefined ? 2 : 1;
}

/**
 * The node to fail (AMC_FAULT_NODE, or the first of the pool by name) and the
 * node the workload may move to: one of the failed node's zone when there is
 * one, so that zonal storage can move too (a zone's loss is rwo-zone-failover's).
 */
export function faultNodes(
  pool: Pick<NodePool, "nodes" | "named" | "excluded">,
  wanted: string | undefined,
): FaultNodes | { notApplicable: string } {
  const gate = placementGate(pool.nodes, "cross-node", pool);
  if (gate) return { notApplicable: gate };
  const names = pool.named ? pool.nodes.map((n) => n.name) : pool.nodes.map((n) => n.name).sort();
  const failed = wanted ?? (names[0] as string);
  if (!names.includes(failed)) {
    return {
      notApplicable: `AMC_FAULT_NODE names ${failed}, which is not a node the suite places pods on (${names.join(", ")})`,
    };
  }
  const zoneOf = (name: string) => pool.nodes.find((n) => n.name === name)?.zone;
  const sameZone = names.find((n) => n !== failed && zoneOf(n) !== undefined && zoneOf(n) === zoneOf(failed));
  const other = sameZone ?? (names.find((n) => n !== failed) as string);
  return { failed, other };
}

/**
 * The first lane (faultNodes), then, up to `limit`, more pairs of nodes that
 * are in no lane yet, each pair in one zone exactly when the first is (the
 * first's pairing decides what zonal storage does). A named node gets one lane.
 */
export function faultLanes(
  pool: Pick<NodePool, "nodes" | "named" | "excluded">,
  wanted: string | undefined,
  limit: number,
): FaultNodes[] | { notApplicable: string } {
  const first = faultNodes(pool, wanted);
  if ("notApplicable" in first) return first;
  const lanes = [first];
  if (wanted !== undefined) return lanes;
  const zoneOf = (name: string) => pool.nodes.find((n) => n.name === name)?.zone;
  const sameZone = (a: string, b: string) => zoneOf(a) === zoneOf(b);
  const pairedInZone = sameZone(first.failed, first.other);
  let free = pool.nodes.map((n) => n.name).filter((n) => n !== first.failed && n !== first.other);
  if (!pool.named) free = free.sort();
  while (lanes.length < limit) {
    const lane = free
      .map((failed) => ({
        failed,
        other: free.find((o) => o !== failed && sameZone(o, failed) === pairedInZone),
      }))
      .find((l): l is FaultNodes => l.other !== undefined);
    if (!lane) break;
    lanes.push(lane);
    free = free.filter((n) => n !== lane.failed && n !== lane.other);
  }
  return lanes;
}

/** Why a class cannot fail over between the two nodes: its CSI node plugin is missing on one (StorageProfile.pluginNodes). */
function withoutPlugin(storage: StorageProfile, nodes: FaultNodes): string | undefined {
  const { pluginNodes } = storage;
  const missing = [nodes.failed, nodes.other].filter((n) => pluginNodes && !pluginNodes.includes(n));
  if (missing.length === 0) return undefined;
  return `the node plugin of ${storage.csiDriver?.name ?? storage.provisioner} is not on ${missing.join(" and ")} (its CSINode does not list the driver): the workload could not run on both the failed node and the other (${nodes.failed}, ${nodes.other})`;
}

export function planFailover(options: {
  scenarios: readonly Scenario[];
  storage: readonly StorageProfile[];
  pool: Pick<NodePool, "nodes" | "named" | "excluded">;
  faults: NodeFaultsOrWhyNot;
  settings: Pick<FailoverSettings, "modes" | "node"> & Partial<Pick<FailoverSettings, "budgetMs">>;
  /** The most lanes to use (laneLimit); 1 when not given. */
  lanes?: number;
}): FailoverPlan {
  const scenarios = options.scenarios.filter((s) => s.failover);
  const wanted =
    options.settings.modes.length > 0 ? (options.settings.modes as NodeFaultMode[]) : nodeFaultModes;
  const notRun: NotRun[] = [];
  const faults: PlannedFault[] = [];
  const skipAll = (mode: NodeFaultMode, reason: string) => {
    for (const scenario of scenarios) {
      for (const storage of options.storage) {
        notRun.push({ scenario, storage, mode, verdict: "not-applicable", reason });
      }
    }
  };
  const lanes = usableLanes(options);
  for (const mode of wanted) {
    if ("unavailable" in options.faults) skipAll(mode, options.faults.unavailable);
    else if ("notApplicable" in lanes) skipAll(mode, lanes.notApplicable);
    else if (!options.faults.modes.includes(mode)) {
      skipAll(
        mode,
        `this cluster cannot fail a node this way (${nodeFaultModeText[mode]}); it can: ${options.faults.modes.map((m) => nodeFaultModeText[m]).join(", ")}`,
      );
    } else {
      // Every lane would do: a class's plugin is on both nodes of each or on both of none (usableLanes).
      const nodes = lanes[0] as FaultNodes;
      const runnable = (path: "shared" | "alone") => {
        const cases: FailoverCase[] = [];
        for (const scenario of scenarios) {
          const alone = scenario.failover?.path === "out-of-service";
          if ((path === "alone") !== alone) continue;
          for (const storage of options.storage) {
            const expectation = scenario.expect(storage);
            const lacking = withoutPlugin(storage, nodes);
            if (lacking) {
              notRun.push({ scenario, storage, mode, verdict: "not-applicable", reason: lacking });
            } else if ("notApplicable" in expectation) {
              notRun.push({
                scenario,
                storage,
                mode,
                verdict: "not-applicable",
                reason: expectation.notApplicable,
              });
            } else if ("inconclusive" in expectation) {
              notRun.push({
                scenario,
                storage,
                mode,
                verdict: "inconclusive",
                reason: expectation.inconclusive,
              });
            } else cases.push({ scenario, storage });
          }
        }
        if (cases.length > 0) faults.push({ mode, lane: 0, nodes, cases });
      };
      runnable("shared");
      runnable("alone");
    }
  }
  if ("notApplicable" in lanes) return { lanes: [], faults, notRun };
  const laid = layOut(faults, lanes, options.settings.budgetMs ?? DEFAULT_FAILOVER_BUDGET_MS);
  // layOut fills the lanes in order: with fewer faults than lanes, the last ones stay empty.
  return { lanes: lanes.slice(0, laid.length), faults: laid, notRun };
}

/**
 * Each fault, in plan order, to the lane with the least work so far, a
 * fault's work being its longest path's budget (on attachable storage the
 * force-delete path waits out the 6-minute unmount wait on top).
 */
function layOut(
  faults: readonly PlannedFault[],
  lanes: readonly FaultNodes[],
  budgetMs: number,
): PlannedFault[] {
  const work = lanes.map(() => 0);
  return faults.map((fault) => {
    const lane = work.indexOf(Math.min(...work));
    work[lane] = (work[lane] ?? 0) + Math.max(...fault.cases.map((c) => pathBudgetMs(c, budgetMs)));
    return { ...fault, lane, nodes: lanes[lane] as FaultNodes };
  });
}

/** faultLanes, without an extra lane on which some class would fare otherwise than on the first (its plugin's nodes). */
function usableLanes(options: {
  storage: readonly StorageProfile[];
  pool: Pick<NodePool, "nodes" | "named" | "excluded">;
  settings: Pick<FailoverSettings, "node">;
  lanes?: number;
}): FaultNodes[] | { notApplicable: string } {
  const candidates = faultLanes(options.pool, options.settings.node, options.lanes ?? 1);
  if ("notApplicable" in candidates) return candidates;
  const runsOn = (lane: FaultNodes) => options.storage.map((s) => withoutPlugin(s, lane) === undefined);
  const onFirst = runsOn(candidates[0] as FaultNodes);
  return candidates.filter((lane) => runsOn(lane).every((runs, i) => runs === onFirst[i]));
}
