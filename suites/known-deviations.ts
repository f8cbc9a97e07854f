import type { ScenarioRecord } from "../lib/scenario/types.ts";

/**
 * Deviations the project's own test runs (`npm test`, `npm run test:kind`,
 * which set AMC_KNOWN_DEVIATIONS=1) expect of storage this project did not
 * write, by provisioner and scenario, each with why. The record still says
 * "deviates", and every report and `amc run`'s exit code show it; only the
 * vitest case passes, and it fails when the storage no longer deviates (then
 * the entry goes). A user's `amc run` never reads this list. A deviation of
 * the suite's own driver is never listed here: that is a bug to fix.
 */
export interface KnownDeviation {
  provisioner: string;
  scenarios: readonly string[];
  why: string;
}

export const knownDeviations: readonly KnownDeviation[] = [
  {
    provisioner: "hostpath.csi.k8s.io",
    scenarios: ["rwx-cross-node", "rwx-cross-node-block"],
    why: "upstream's csi-driver-host-path (v1.18.0) provisions a ReadWriteMany claim (its CreateVolume checks no access mode), but deployed on several nodes its volumes are node-local (topology.hostpath.csi/node), so the scheduler refuses a second node; upstream's own e2e never asks it for ReadWriteMany (its test-driver.yaml claims no RWX capability)",
  },
];

export function knownDeviationOf(
  record: Pick<ScenarioRecord, "provisioner" | "scenario">,
): KnownDeviation | undefined {
  return knownDeviations.find(
    (known) => known.provisioner === record.provisioner && known.scenarios.includes(record.scenario),
  );
}
