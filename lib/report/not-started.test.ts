import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeNotStartedReport } from "./not-started.ts";

const scratch = mkdtempSync(join(tmpdir(), "amc-not-started-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the report of a run that did not start", () => {
  it("is a junit.xml with one case in error that says why", () => {
    const dir = join(scratch, "a");
    const at = new Date("2026-12-01T10:00:00Z");
    const file = writeNotStartedReport(
      dir,
      "20261201t100000-abcd",
      "interrupted (SIGTERM) before the run's plan existed",
      at,
    );
    expect(file).toBe(join(dir, "junit.xml"));
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="access-mode-conformance" tests="1" failures="0" errors="1" skipped="0">
  <testsuite name="run" tests="1" failures="0" errors="1" skipped="0" timestamp="2026-12-01T10:00:00.000Z" time="0.000">
    <properties><property name="run" value="not started"/></properties>
    <testcase classname="run" name="the run starts" time="0.000">
      <error type="not-started" message="the run did not start: interrupted (SIGTERM) before the run&apos;s plan existed">the run did not start: interrupted (SIGTERM) before the run&apos;s plan existed</error>
    </testcase>
  </testsuite>
</testsuites>
`);
  });

  it("replaces an earlier run's junit.xml, escaping the reason", () => {
    const dir = join(scratch, "b");
    mkdirSync(dir);
    writeFileSync(join(dir, "junit.xml"), "<testsuites/>");
    writeNotStartedReport(dir, undefined, 'unknown storage class(es): <"nosuch">');
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toContain(
      'message="the run did not start: unknown storage class(es): &lt;&quot;nosuch&quot;&gt;"',
    );
  });

  it("is not written for a run whose plan exists: its own reports (or its guardian's) say more", () => {
    const dir = join(scratch, "c");
    mkdirSync(join(dir, "records", "run-1"), { recursive: true });
    writeFileSync(join(dir, "records", "run-1", "plan.json"), "{}");
    expect(writeNotStartedReport(dir, "run-1", "interrupted")).toBeUndefined();
    expect(() => readFileSync(join(dir, "junit.xml"))).toThrow();
  });
});
