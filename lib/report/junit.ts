import { shortAccessMode } from "../scenario/types.ts";
import { aboutControlPlane, caseName } from "./cases.ts";
import type { Certification, CertificationResult } from "./document.ts";
import { evidenceText } from "./evidence-text.ts";

/**
 * junit.xml for CI dashboards: one test suite per scenario family (access
 * mode), one test case per "scenario @ class" (the node-failure scenarios: per
 * "scenario @ class (fault mode)", as the suite names them). Not applicable and not run are
 * skipped with the reason, never passed; a deviation is a failure, an
 * inconclusive run an error.
 */

export function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot carry at all.
      .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&apos;")
  );
}

const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

function durationMs(result: CertificationResult): number {
  if (!result.timings) return 0;
  return Date.parse(result.timings.finishedAt) - Date.parse(result.timings.startedAt);
}

function testcase(suiteName: string, result: CertificationResult): string {
  const name = caseName(result);
  const open = `    <testcase classname="${escapeXml(suiteName)}" name="${escapeXml(name)}" time="${seconds(durationMs(result))}">`;
  const verdict = result.verdict ?? "not-run";
  const property = `      <properties><property name="verdict" value="${verdict}"/></properties>`;
  const body = (() => {
    switch (verdict) {
      case "not-applicable":
        return `      <skipped message="${escapeXml(`not applicable: ${result.reason}`)}"/>`;
      case "not-run":
        return `      <skipped message="${escapeXml(result.reason)}"/>`;
      case "deviates":
        return `      <failure type="deviates" message="${escapeXml(result.reason)}">${escapeXml(evidenceText(result))}</failure>`;
      case "inconclusive":
        return `      <error type="inconclusive" message="${escapeXml(result.reason)}">${escapeXml(evidenceText(result))}</error>`;
      default:
        return `      <system-out>${escapeXml(evidenceText(result))}</system-out>`;
    }
  })();
  return [open, property, body, "    </testcase>"].join("\n");
}

export function renderJUnit(cert: Certification): string {
  // One suite per access mode; the control plane's own results (not the storage's) in a suite apart.
  const suiteOf = (r: Pick<CertificationResult, "accessMode" | "subject">) =>
    aboutControlPlane(r) ? "control plane" : `${r.accessMode} (${shortAccessMode[r.accessMode]})`;
  const families = [...new Set(cert.scenarios.map((s) => suiteOf(s)))];
  const total = (results: CertificationResult[], verdicts: string[]) =>
    results.filter((r) => verdicts.includes(r.verdict ?? "not-run")).length;
  const suites = families.map((name) => {
    const results = cert.results.filter((r) => suiteOf(r) === name);
    const time = results.reduce((sum, r) => sum + durationMs(r), 0);
    const properties = [
      ["cluster", `${cert.cluster.provider} ${cert.cluster.name}`],
      ["kubernetes", cert.cluster.kubernetesVersion],
      ["fidelity", cert.fidelityNote ?? cert.cluster.fidelity],
      ["run", `${cert.run.id} (${cert.run.status})`],
    ]
      .map(([key, value]) => `      <property name="${key}" value="${escapeXml(value ?? "")}"/>`)
      .join("\n");
    return [
      `  <testsuite name="${escapeXml(name)}" tests="${results.length}" failures="${total(results, ["deviates"])}" errors="${total(results, ["inconclusive"])}" skipped="${total(results, ["not-applicable", "not-run"])}" timestamp="${cert.run.startedAt}" time="${seconds(time)}">`,
      "    <properties>",
      properties,
      "    </properties>",
      ...results.map((r) => testcase(name, r)),
      "  </testsuite>",
    ].join("\n");
  });
  const all = cert.results;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="access-mode-conformance" tests="${all.length}" failures="${total(all, ["deviates"])}" errors="${total(all, ["inconclusive"])}" skipped="${total(all, ["not-applicable", "not-run"])}">`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}

/**
 * junit.xml of a run that never got as far as its plan (its set-up failed,
 * or it was interrupted first): one test case in error that says why, so
 * that CI sees a failed run instead of no report or the last run's.
 */
export function renderNotStartedJUnit(reason: string, at: Date): string {
  const message = escapeXml(`the run did not start: ${reason}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites name="access-mode-conformance" tests="1" failures="0" errors="1" skipped="0">',
    `  <testsuite name="run" tests="1" failures="0" errors="1" skipped="0" timestamp="${at.toISOString()}" time="0.000">`,
    '    <properties><property name="run" value="not started"/></properties>',
    '    <testcase classname="run" name="the run starts" time="0.000">',
    `      <error type="not-started" message="${message}">${message}</error>`,
    "    </testcase>",
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
