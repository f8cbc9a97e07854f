import { exitCodes } from "../../lib/errors.ts";
import type { Certification } from "../../lib/report/document.ts";

/** amc's exit codes are lib/errors.ts's exitCodes; this module explains them and judges a finished run. */
export { exitCodes };

export const exitCodesHelp = `exit codes:
  0    everything conforms or is not applicable (certify: no claim broken)
  1    a deviation or finding (run); a broken claim or a deviation (certify)
  2    usage or profile error: unknown flag, scenario, storage class, malformed profile
  3    infrastructure error: cluster unreachable, permissions, timeouts (inconclusive)
  130  interrupted (Ctrl-C or SIGTERM); cleanup and the partial reports follow from the run's guardian`;

export interface RunJudgement {
  code: number;
  /** Why that code, one line each, for the last lines amc prints. */
  reasons: string[];
}

/**
 * The exit code of a finished run from its certification document. When
 * several apply, the order is: interrupted, non-conforming, infrastructure:
 * a deviation seen is certain, whatever else could not be decided.
 * `mode` run counts findings as non-conforming; certify leaves them to the
 * claims (a profile that says RWO is not enforced across nodes holds there).
 * `failedOutsideVerdicts`: vitest counted failures no verdict explains
 * (a clean-up that failed, a crashed worker).
 */
export function judgeRun(
  cert: Certification,
  mode: "run" | "certify",
  failedOutsideVerdicts = false,
): RunJudgement {
  // The control plane's verdicts weigh as the storage's: a finding about the cluster is a finding.
  const count = (verdict: keyof Certification["summary"]["counts"]) =>
    cert.summary.counts[verdict] + (cert.summary.clusterCounts?.[verdict] ?? 0);
  if (cert.run.status === "interrupted") {
    return { code: exitCodes.interrupted, reasons: ["the run was interrupted"] };
  }
  const nonConforming = [
    ...(count("deviates") > 0 ? [`${count("deviates")} deviation(s)`] : []),
    ...(mode === "run" && count("finding") > 0 ? [`${count("finding")} finding(s)`] : []),
    ...(cert.claims && cert.claims.counts.broken > 0 ? [`${cert.claims.counts.broken} broken claim(s)`] : []),
  ];
  if (nonConforming.length > 0) return { code: exitCodes.nonConforming, reasons: nonConforming };
  const infrastructure = [
    ...(cert.run.status === "failed" ? ["the run failed before its end"] : []),
    ...(count("inconclusive") > 0 ? [`${count("inconclusive")} inconclusive result(s)`] : []),
    ...(count("not-run") > 0 ? [`${count("not-run")} planned result(s) not run`] : []),
    ...(failedOutsideVerdicts ? ["tests failed outside the verdicts (see vitest's output)"] : []),
  ];
  if (infrastructure.length > 0) return { code: exitCodes.infrastructure, reasons: infrastructure };
  // Not checked is said too: a test-driver file that claims little leaves most claims open.
  const checked = cert.claims
    ? `, ${cert.claims.counts.held} claim(s) held, ${cert.claims.counts["not-checked"]} not checked`
    : "";
  return { code: exitCodes.ok, reasons: [`everything conforms or is not applicable${checked}`] };
}
