import { XMLParser } from "fast-xml-parser";
import type { ScenarioId } from "../../lib/scenario/types.ts";

/**
 * Upstream's cases and the suite's scenarios side by side: which upstream
 * test makes the same check as which scenario, the ginkgo focus and skip
 * that select them, and upstream's JUnit report read back (name, driver,
 * pattern, state, seconds).
 */

/** The upstream test suites that concern access modes (test/e2e/storage/testsuites). */
export const upstreamSuites = ["read-write-once-pod", "multiVolume"] as const;

export interface SharedCheck {
  title: string;
  upstream: { suite: (typeof upstreamSuites)[number]; test: string };
  /** The suite's scenarios that make the check (the first is its counterpart). */
  scenarios: readonly ScenarioId[];
}

/** The checks both make, as the issue names them. */
export const sharedChecks: readonly SharedCheck[] = [
  {
    title: "RWOP kubelet guard",
    upstream: {
      suite: "read-write-once-pod",
      test: "should block a second pod from using an in-use ReadWriteOncePod volume on the same node",
    },
    scenarios: ["rwop-kubelet-guard"],
  },
  {
    title: "RWOP preemption",
    upstream: {
      suite: "read-write-once-pod",
      test: "should preempt lower priority pods using ReadWriteOncePod volumes",
    },
    scenarios: ["rwop-preemption"],
  },
  {
    title: "RWO same-node sharing",
    upstream: {
      suite: "multiVolume",
      test: "should concurrently access the single volume from pods on the same node",
    },
    scenarios: ["rwo-same-node"],
  },
  {
    title: "RWO move to another node",
    upstream: {
      suite: "multiVolume",
      test: "should access to two volumes with the same volume mode and retain data across pod recreation on different node",
    },
    // The handoff is the move; the cross-node check is what decides it where storage cannot move (node-local) or is not guarded (shared).
    scenarios: ["rwo-handoff", "rwo-cross-node"],
  },
];

export const sharedScenarios: readonly ScenarioId[] = [...new Set(sharedChecks.flatMap((c) => c.scenarios))];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Ginkgo's --focus (Go regexp): the access-mode suites of the external
 * drivers, or only the shared checks' tests.
 */
export function upstreamFocus(cases: "shared" | "all"): string {
  const suites = `External.Storage.*(${upstreamSuites.join("|")})`;
  if (cases === "all") return suites;
  return `${suites}.*(${sharedChecks.map((c) => escapeRegExp(c.upstream.test)).join("|")})`;
}

/**
 * Ginkgo's --skip: what cannot run on drivers without raw block volumes,
 * other file system types, pre-provisioned or inline volumes, snapshots or
 * clones, and the mixed volume mode cases (a block volume beside a
 * filesystem one). Upstream would skip each at run time, some only after
 * creating and deleting a namespace.
 */
export const upstreamSkip =
  "\\[Testpattern: (Pre-provisioned|Inline-volume|CSI Ephemeral|Generic Ephemeral|Dynamic PV \\((block volmode|ext3|ext4|xfs|ntfs)\\))|different volume mode|restored snapshot|and its clone";

export type CaseState = "passed" | "failed" | "skipped";

export interface UpstreamCase {
  /** The spec's full text. */
  name: string;
  driver: string;
  pattern: string;
  suite: string;
  /** The test's text without its tags ([Serial], [Slow], [LinuxOnly]). */
  test: string;
  state: CaseState;
  seconds: number;
  /** Why it was skipped, or the start of the failure. */
  message?: string;
}

interface JUnitCase {
  "@_name": string;
  "@_status"?: string;
  "@_time"?: string;
  skipped?: { "@_message"?: string } | string;
  failure?: { "@_message"?: string; "#text"?: string } | string;
  error?: { "@_message"?: string; "#text"?: string } | string;
}

const textOf = (node: JUnitCase["failure"]): string | undefined =>
  typeof node === "string" ? node : (node?.["@_message"] ?? node?.["#text"]);

/**
 * The external drivers' access-mode cases of a ginkgo JUnit report; specs
 * the focus left out (ginkgo lists every spec, as skipped) are dropped.
 */
export function parseUpstreamJUnit(xml: string, focus: RegExp): UpstreamCase[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    // Skip messages carry &#39; and the like.
    htmlEntities: true,
    isArray: (name) => name === "testsuite" || name === "testcase",
  });
  const doc = parser.parse(xml) as {
    testsuites?: { testsuite?: { testcase?: JUnitCase[] }[] };
    testsuite?: { testcase?: JUnitCase[] }[];
  };
  const suites = doc.testsuites?.testsuite ?? doc.testsuite ?? [];
  const cases: UpstreamCase[] = [];
  for (const tc of suites.flatMap((s) => s.testcase ?? [])) {
    const name = tc["@_name"].replace(/^\[It\]\s*/, "");
    const parts = /\[Driver: ([^\]]+)\].*?\[Testpattern: (.+?)\] (\S+) (.*)$/.exec(name);
    if (!parts || !focus.test(name)) continue;
    const [, driver = "", pattern = "", suite = "", rest = ""] = parts;
    const status =
      tc["@_status"] ?? (tc.failure || tc.error ? "failed" : tc.skipped !== undefined ? "skipped" : "passed");
    const state: CaseState =
      status === "passed" ? "passed" : status === "skipped" || status === "pending" ? "skipped" : "failed";
    const message =
      state === "skipped"
        ? typeof tc.skipped === "string"
          ? tc.skipped
          : tc.skipped?.["@_message"]
        : state === "failed"
          ? textOf(tc.failure ?? tc.error)
          : undefined;
    // A spec the focus or skip filtered out is reported as skipped without running.
    if (state === "skipped" && /skipped because of (focus|skip)|^skipped$/i.test(message ?? "skipped"))
      continue;
    cases.push({
      name,
      driver,
      pattern,
      suite,
      test: rest.replace(/\s*\[[^\]]+\]/g, "").trim(),
      state,
      seconds: Number(tc["@_time"] ?? 0),
      ...(message ? { message: message.trim().split("\n")[0]?.slice(0, 200) } : {}),
    });
  }
  return cases;
}

/** The shared check an upstream case makes, if any. */
export function sharedCheckOf(c: Pick<UpstreamCase, "suite" | "test">): SharedCheck | undefined {
  return sharedChecks.find((s) => s.upstream.suite === c.suite && s.upstream.test === c.test);
}
