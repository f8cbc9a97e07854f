import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { providerOf } from "../clusters/registry.ts";
import { connect } from "../lib/kube/client.ts";
import { ZONE_DOWN_TAINT_KEY } from "../lib/kube/taints.ts";
import { cleanupFailed, finishHandedOver } from "../lib/scenario/background-cleanups.ts";
import { selectScenarios } from "../lib/scenario/scenarios.ts";
import { timeoutsOf } from "../lib/scenario/timeouts.ts";
import { readSettings } from "../lib/settings.ts";
import { runCase } from "./scenario-suite.ts";

/**
 * The scenarios that take a zone down (rwo-zone-failover): a NoSchedule taint
 * on every node of one zone keeps every other case's pods out of it too, so
 * they run in the disruptive project after the other suites, one case at a
 * time, each cleaned up (its taint removed first) before the next. On a
 * cluster the suite does not own (provider kubeconfig) they run only with the
 * opt-in to disrupt its nodes, AMC_ALLOW_NODE_FAULTS=1; without it they are
 * not applicable, with that reason.
 */

const cluster = inject("cluster");
const run = inject("run");
const pool = inject("nodePool");
const storage = inject("storage");
const filter = inject("scenarioFilter");
const settings = readSettings();
const kube = connect(cluster.kubeconfigPath);
const timeouts = timeoutsOf(settings);
const scenarios = selectScenarios(filter).filter((s) => s.disrupts);

/** Why the zone may not be taken down here, or undefined: a provider whose clusters are not the suite's needs the opt-in. */
function refusal(disrupts: string): string | undefined {
  if (providerOf(cluster.provider).facts.nodeFaults !== "opt-in" || settings.failover.allowNodeFaults)
    return undefined;
  return `not run on a cluster the suite does not own without the opt-in: ${disrupts}; set AMC_ALLOW_NODE_FAULTS=1 to allow it`;
}

describe("zone failover (disruptive)", () => {
  if (scenarios.length === 0 || storage.length === 0) {
    const why =
      scenarios.length === 0
        ? `no zone scenario selected (AMC_SCENARIOS=${filter.join(",")})`
        : "no storage class under test";
    it.skip(`zone failover: ${why}`, () => {});
    return;
  }
  // The other suites' clean-ups may still be going: a zone must not go down under them.
  beforeAll(async () => {
    const failures = await finishHandedOver(kube, run.reportDir, run.runId, timeouts.cleanup);
    if (failures.length > 0) throw cleanupFailed(failures);
  }, 4 * timeouts.cleanup);
  // Every case brought its zone back: no node keeps this run's taint.
  afterAll(async () => {
    const nodes = (await kube.core.listNode()).items;
    const tainted = nodes.filter((n) =>
      n.spec?.taints?.some((t) => t.key === ZONE_DOWN_TAINT_KEY && t.value === run.runId),
    );
    expect(tainted.map((n) => n.metadata?.name)).toEqual([]);
  });
  for (const scenario of scenarios) {
    for (const profile of storage) {
      it(`${scenario.id} @ ${profile.className}`, async (test) => {
        const refused = refusal(scenario.disrupts ?? "");
        // No background clean-up (no `cleanups`): the zone comes back before the next case takes one down.
        const input = { kube, cluster, pool, storage: profile, scenario, run, timeouts };
        await runCase(test, "zones (disruptive)", { ...input, ...(refused ? { refused } : {}) });
      });
    }
  }
});
