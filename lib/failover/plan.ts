import {
  type NodeFaultMode,
  type NodeFaultsOrWhyNot,
  nodeFaultModes,
  nodeFaultModeText,
} from "../cluster/contract.ts";
import { type NodePool, placementGate } from "../scenario/nodes.ts";
import type { Scenario } from "../scenario/scenarios.ts";
import type { StorageProfile } from "../scenario/types.ts";
import type { FailoverSettings } from "../settings.ts";
import type { FailoverCase } from "./writers.ts";

/**
 * Which faults a run injects, and which cases each one serves. One fault
 * serves every class at once; the paths that cannot share a fault get their
 * own: the out-of-service taint force-deletes every pod of the node, so it
 * would end the other paths' wait. Per mode: the default and force-delete
 * paths, then the out-of-service path. Cases that cannot run get a reason.
 */

export interface PlannedFault {
  mode: NodeFaultMode;
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
  nodes?: { failed: string; other: string };
  faults: PlannedFault[];
  notRun: NotRun[];
}

/**
 * The node to fail (AMC_FAULT_NODE, or the first of the pool by name) and the
 * node the workload may move to: one of the failed node's zone when there is
 * one, so that zonal storage can move too (a zone's loss is rwo-zone-failover's).
 */
export function faultNodes(
  pool: Pick<NodePool, "nodes" | "named" | "excluded">,
  wanted: string | undefined,
): { failed: string; other: string } | { notApplicable: string } {
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

/** Why a class cannot fail over between the two nodes: its CSI node plugin is missing on one (StorageProfile.pluginNodes). */
function withoutPlugin(
  storage: StorageProfile,
  nodes: { failed: string; other: string },
): string | undefined {
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
  settings: Pick<FailoverSettings, "modes" | "node">;
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
  const nodes = faultNodes(options.pool, options.settings.node);
  for (const mode of wanted) {
    if ("unavailable" in options.faults) skipAll(mode, options.faults.unavailable);
    else if ("notApplicable" in nodes) skipAll(mode, nodes.notApplicable);
    else if (!options.faults.modes.includes(mode)) {
      skipAll(
        mode,
        `this cluster cannot fail a node this way (${nodeFaultModeText[mode]}); it can: ${options.faults.modes.map((m) => nodeFaultModeText[m]).join(", ")}`,
      );
    } else {
      const runnable = (path: "shared" | "alone") => {
        const cases: FailoverCase[] = [];
        for (const scenario of scenarios) {
          const alone = scenario.failover?.path === "out-of-service";
          if ((path === "alone") !== alone) continue;
          for (const storage of options.storage) {
            const expectation = scenario.expect(storage);
            const lacking = "failed" in nodes ? withoutPlugin(storage, nodes) : undefined;
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
        if (cases.length > 0) faults.push({ mode, cases });
      };
      runnable("shared");
      runnable("alone");
    }
  }
  return { ...("failed" in nodes ? { nodes } : {}), faults, notRun };
}
