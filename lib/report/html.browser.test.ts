/// <reference lib="dom" />

import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSettings } from "../settings.ts";
import { buildCertification } from "./certification.ts";
import { renderHtml } from "./html.ts";
import { recordedEnd, recordedPlan, recordedRecords } from "./testdata/fixture.ts";

/**
 * certification.html in a real headless Chromium (Debian's chromium; AMC_CHROMIUM
 * names another): what a person sees, checked on a whole recorded run. The
 * screenshot is kept as reports/certification-screenshot.png.
 */

const settings = readSettings();
const reportDir = settings.reportDir;
const certification = buildCertification(recordedPlan, recordedRecords, recordedEnd);
let browser: Browser;
let page: Page;
const requests: string[] = [];
let scratch = "";

async function chromiumPath(): Promise<string> {
  const candidates = [settings.chromium, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
    (p): p is string => Boolean(p),
  );
  for (const candidate of candidates)
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  throw new Error(
    `no Chromium found (looked at ${candidates.join(", ")}): install Debian's chromium package (apt-get install chromium) or set AMC_CHROMIUM`,
  );
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "amc-html-"));
  const file = join(scratch, "certification.html");
  await writeFile(file, renderHtml(certification, "0".repeat(64)));
  browser = await chromium.launch({
    executablePath: await chromiumPath(),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
});

afterAll(async () => {
  await browser?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const cell = (scenario: string, storageClass: string) =>
  page.locator(`td[data-scenario="${scenario}"][data-class="${storageClass}"]`);
const background = (scenario: string, storageClass: string) =>
  cell(scenario, storageClass).evaluate((element) => getComputedStyle(element).backgroundColor);

describe("certification.html in Chromium", () => {
  it("names the cluster and says first what the run could not observe", async () => {
    expect(await page.title()).toBe(`Access-mode conformance: local cluster ${certification.cluster.name}`);
    const banner = page.locator(".banner.fidelity");
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(
      /^Control-plane fidelity: the nodes of this cluster are simulated/,
    );
  });

  it("shows the matrix: a row per class, a column per scenario, coloured by verdict", async () => {
    expect(await page.locator(".matrix tbody tr").count()).toBe(3);
    expect(await page.locator(".matrix thead tr:nth-child(2) th").allTextContents()).toEqual(
      recordedPlan.scenarios.map((s) => s.id),
    );
    expect(await cell("rwo-cross-node", "amc-block").innerText()).toBe("conforms\nMulti-Attach");
    const conforms = await background("rwo-cross-node", "amc-block");
    const finding = await background("rwo-cross-node", "amc-shared");
    const notApplicable = await background("rwx-cross-node", "amc-block");
    expect(conforms).toBe("rgb(218, 251, 225)");
    expect(finding).toBe("rgb(255, 241, 204)");
    expect(notApplicable).toBe("rgb(246, 248, 250)");
  });

  it("opens a cell's evidence: the deciding event with its times, and the manifests as applied", async () => {
    const dialog = page.locator("dialog#evidence");
    expect(await dialog.isVisible()).toBe(false);
    await cell("rwo-cross-node", "amc-block").locator("button").click();
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator("h3").textContent()).toBe("rwo-cross-node @ amc-block");
    const events = dialog.locator("table.events tbody tr");
    expect(await events.count()).toBeGreaterThan(3);
    const multiAttach = events.filter({ hasText: "Multi-Attach error for volume" });
    expect(await multiAttach.count()).toBe(1);
    expect(await multiAttach.locator("td").first().textContent()).toMatch(
      /^2026-11-21T\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
    expect(await dialog.locator("pre").first().textContent()).toContain("kind: PersistentVolumeClaim");
    await dialog.locator("button.close").click();
    expect(await dialog.isVisible()).toBe(false);
  });

  it("draws the timings: a bar per decided run, and the handoff", async () => {
    const decided = certification.results.filter((r) => r.timings?.decisionMs !== undefined).length;
    expect(await page.locator("svg.chart.decision rect.bar").count()).toBe(decided);
    expect(await page.locator("svg.chart.handoff rect.bar").count()).toBe(1);
    const width = await page.locator("svg.chart.decision rect.bar").first().getAttribute("width");
    expect(Number(width)).toBeGreaterThan(1);
  });

  it("needs nothing from the network", async () => {
    expect(requests.filter((url) => !url.startsWith("file:") && !url.startsWith("data:"))).toEqual([]);
  });

  it("is kept as a screenshot", async () => {
    await mkdir(reportDir, { recursive: true });
    const path = resolve(reportDir, "certification-screenshot.png");
    await page.screenshot({ path, fullPage: true });
    expect(
      await access(path).then(
        () => true,
        () => false,
      ),
    ).toBe(true);
  });
});
