import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { renderStoredRun } from "./render-stored.ts";

// A recorded run (20261121t121940-db37), and allure-results a later run (20261121t141458-2314) left.
const testdata = (path: string) => fileURLToPath(new URL(`./testdata/${path}`, import.meta.url));
let reportDir = "";
afterEach(async () => {
  if (reportDir) await rm(reportDir, { recursive: true, force: true });
});

describe("rendering a stored run again", () => {
  it("writes every form of the run, and no Allure report from another run's results", async () => {
    reportDir = await mkdtemp(join(tmpdir(), "amc-render-"));
    await cp(testdata("run"), join(reportDir, "records", "20261121t121940-db37"), { recursive: true });
    await cp(testdata("allure-results"), join(reportDir, "allure-results"), { recursive: true });
    const files = await renderStoredRun({ reportDir, allure: true });
    expect(files.map((f) => f.slice(reportDir.length + 1)).sort()).toEqual([
      "certification.html",
      "certification.json",
      "certification.json.sha256",
      "certification.md",
      "junit.xml",
    ]);
    expect(await readdir(reportDir)).not.toContain("allure-report");
  });
});
