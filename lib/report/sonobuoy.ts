import { stringify } from "yaml";
import type { Verdict } from "../scenario/types.ts";
import { aboutControlPlane, caseName } from "./cases.ts";
import type { Certification, CertificationResult } from "./document.ts";
import { evidenceText } from "./evidence-text.ts";

/**
 * sonobuoy_results.yaml, Sonobuoy's "manual" results format (v0.57,
 * pkg/client/results/item.go), so that a run made as a Sonobuoy plugin is read
 * by `sonobuoy results` like any other: one item for the suite, and under it
 * one leaf per "scenario @ class" (the node-failure scenarios: per fault mode),
 * named as the junit.xml test cases are, in the results' order.
 *
 * The mapping is junit.xml's: conforms and finding pass (a finding is
 * behaviour worth reporting, not a deviation; the leaf's details say
 * "finding" and what it is), deviates fails, inconclusive is unknown, not
 * applicable and not run are skipped with the reason. Not applicable is never
 * passed: nothing was checked on that class, and a pass would count as
 * conformance what was never tested.
 *
 * Sonobuoy v0.57 reads the file as one item named after the file, keeps its
 * details and items, and recomputes its status from the leaves (processing.go,
 * AggregateStatus): failed if a leaf failed or timed out, else unknown if one
 * is, else passed; no leaf at all is unknown. The root's status follows the
 * same rule, so that the file read alone says what `sonobuoy results` will,
 * but for one case: skipped leaves alone are no pass here (unknown), where
 * Sonobuoy, recomputing, shows passed; the root's details still say the run's status.
 *
 * Written as YAML 1.1, which Sonobuoy's decoder (gopkg.in/yaml.v2) reads: a
 * string such as "on" or "yes" is quoted, not read back as a boolean; long
 * lines are not folded, evidence is a literal block.
 */

export type SonobuoyStatus = "passed" | "failed" | "skipped" | "unknown";

export interface SonobuoyItem {
  name: string;
  status: SonobuoyStatus;
  details?: Record<string, string>;
  items?: SonobuoyItem[];
}

export const SONOBUOY_ROOT = "access-mode-conformance";

/** A verdict's Sonobuoy status, as junit.xml's: a finding passes, not applicable and not run are skipped. */
export const sonobuoyStatus: Record<Verdict | "not-run", SonobuoyStatus> = {
  conforms: "passed",
  finding: "passed",
  deviates: "failed",
  inconclusive: "unknown",
  "not-applicable": "skipped",
  "not-run": "skipped",
};

/** The root's status from its leaves: as Sonobuoy aggregates, but skipped leaves alone are no pass. */
export function rootStatus(leaves: readonly Pick<SonobuoyItem, "status">[]): SonobuoyStatus {
  const has = (status: SonobuoyStatus) => leaves.some((leaf) => leaf.status === status);
  if (has("failed")) return "failed";
  if (has("unknown")) return "unknown";
  return has("passed") ? "passed" : "unknown";
}

function leaf(result: CertificationResult): SonobuoyItem {
  const verdict = result.verdict ?? "not-run";
  return {
    name: caseName(result),
    status: sonobuoyStatus[verdict],
    details: {
      verdict,
      reason: result.reason,
      scenario: result.scenario,
      storageClass: result.storageClass,
      ...(result.faultMode ? { faultMode: result.faultMode } : {}),
      accessMode: result.accessMode,
      ...(aboutControlPlane(result) ? { subject: "control-plane" } : {}),
      // A finding's reason is the finding, as the report's findings list it.
      ...(verdict === "finding" ? { finding: result.reason } : {}),
      evidence: evidenceText(result),
    },
  };
}

/** The run as one Sonobuoy item; `digest` is certification.json's SHA-256, which the document cannot hold. */
export function sonobuoyResults(cert: Certification, digest?: string): SonobuoyItem {
  const items = cert.results.map(leaf);
  return {
    name: SONOBUOY_ROOT,
    status: rootStatus(items),
    details: {
      runId: cert.run.id,
      runStatus: cert.run.status,
      clusterProvider: cert.cluster.provider,
      clusterName: cert.cluster.name,
      kubernetesVersion: cert.cluster.kubernetesVersion,
      ...(digest ? { certificationSha256: digest } : {}),
    },
    ...(items.length > 0 ? { items } : {}),
  };
}

/** sonobuoy_results.yaml's text. */
export function renderSonobuoyResults(cert: Certification, digest?: string): string {
  return stringify(sonobuoyResults(cert, digest), { version: "1.1", lineWidth: 0 });
}
