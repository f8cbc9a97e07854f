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
import {
  kindAccessSpace,
  kindFailover,
  kindZones,
  recordedEnd,
  recordedPlan,
  recordedRecords,
} from "./testdata/fixture.ts";

/**
 * certification.html in a real headless Chromium (Debian's chromium; AMC_CHROMIUM
 * names another): what a person sees, checked on a whole recorded run. The
 * screenshot is kept as reports/certification-screenshot.png.
 */

const settings = readSettings();
const reportDir = settings.reportDir;
const certification = buildCertification(recordedPlan, recordedRecords, recordedEnd);
/** The node-failure scenarios on kind, both fault modes (lib/report/testdata/kind-failover). */
const failover = buildCertification(kindFailover.plan, kindFailover.records, kindFailover.end);
/** Every group of the matrix: filesystem and raw block volumes, mixed modes, a workload (lib/report/testdata/kind-access-space). */
const space = buildCertification(kindAccessSpace.plan, kindAccessSpace.records, kindAccessSpace.end);
let browser: Browser;
let page: Page;
let failoverPage: Page;
let spacePage: Page;
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
  const failoverFile = join(scratch, "failover.html");
  await writeFile(failoverFile, renderHtml(failover));
  failoverPage = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  failoverPage.on("request", (request) => requests.push(request.url()));
  await failoverPage.goto(pathToFileURL(failoverFile).href);
  const spaceFile = join(scratch, "space.html");
  await writeFile(spaceFile, renderHtml(space));
  // A laptop's window: 1366 pixels wide, less the scroll bar.
  spacePage = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  spacePage.on("request", (request) => requests.push(request.url()));
  await spacePage.goto(pathToFileURL(spaceFile).href);
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
    expect(requests.some((url) => url.endsWith("/failover.html"))).toBe(true);
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

describe("the matrix of the whole access-mode space in Chromium", () => {
  it("has a section per group, each grouped by access mode, in plan order", async () => {
    expect(await spacePage.locator(".matrix-group h3").allTextContents()).toEqual([
      "Filesystem volumes",
      "Raw block volumes (volumeMode: Block)",
      "Claims asking for several access modes",
      "Workloads: rollouts and rescheduling",
    ]);
    const modes = (section: number) =>
      spacePage
        .locator(`.matrix-group:nth-of-type(${section}) thead tr:first-child th[scope=colgroup]`)
        .allTextContents();
    // One column under a wide table's mode: its short name.
    expect(await modes(1)).toEqual(["ReadWriteOnce", "ReadWriteOncePod", "RWX", "ReadOnlyMany"]);
    expect(await modes(2)).toEqual(["ReadWriteOnce", "ReadWriteOncePod", "RWX"]);
    expect(await modes(3)).toEqual(["ReadWriteOnce + ReadWriteMany", "ReadWriteOnce + ReadOnlyMany"]);
    const block = spacePage.locator(
      '.matrix-group:nth-of-type(2) td[data-scenario="rwop-kubelet-guard-block"][data-class="amc-block"]',
    );
    expect(await block.innerText()).toBe("conforms\nrefused by the kubelet");
  });

  it("fits a 1366-pixel-wide window without scrolling sideways", async () => {
    const widths = await spacePage.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      window: document.documentElement.clientWidth,
      tables: [...document.querySelectorAll(".matrix")].map((t) => t.getBoundingClientRect().right),
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.window);
    for (const right of widths.tables) expect(right).toBeLessThanOrEqual(widths.window);
  });

  it("is kept as a screenshot", async () => {
    await mkdir(reportDir, { recursive: true });
    const path = resolve(reportDir, "certification-access-space-screenshot.png");
    await spacePage.screenshot({ path, fullPage: true });
    expect(
      await access(path).then(
        () => true,
        () => false,
      ),
    ).toBe(true);
  });
});

describe("the zones in Chromium", () => {
  it("are a section of their own after the filesystem volumes, and fit a 1366-pixel-wide window", async () => {
    const zonesPage = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    zonesPage.on("request", (request) => requests.push(request.url()));
    const file = join(scratch, "zones.html");
    await writeFile(file, renderHtml(buildCertification(kindZones.plan, kindZones.records, kindZones.end)));
    await zonesPage.goto(pathToFileURL(file).href);
    expect(await zonesPage.locator(".matrix-group h3").allTextContents()).toEqual([
      "Filesystem volumes",
      "Zones: a pod in another zone, a zone going down",
    ]);
    const cell = (scenario: string, className: string) =>
      zonesPage
        .locator(`.matrix-group:nth-of-type(2) td[data-scenario="${scenario}"][data-class="${className}"]`)
        .innerText();
    expect(await cell("rwo-cross-zone", "amc-zonal")).toBe("conforms\nnode affinity conflict");
    expect(await cell("rwo-zone-failover", "amc-zonal")).toMatch(/^FINDING\n/);
    expect(await cell("rwo-zone-failover", "amc-block")).toMatch(/^conforms\nadmitted/);
    const widths = await zonesPage.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      window: document.documentElement.clientWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.window);
    await zonesPage.close();
  });
});

describe("the node-failure section in Chromium", () => {
  const figure = (scenario: string, storageClass: string, mode: string) =>
    failoverPage.locator(
      `figure.failover[data-scenario="${scenario}"][data-class="${storageClass}"][data-mode="${mode}"]`,
    );

  it("has a matrix row per scenario and fault mode, a column per class, coloured by verdict", async () => {
    const rows = failoverPage.locator(".failover-matrix tbody tr");
    expect(await rows.locator("th").allTextContents()).toEqual([
      "rwo-node-loss (kubelet stopped)",
      "rwo-node-loss (powered off)",
      "rwo-node-loss-force-delete (kubelet stopped)",
      "rwo-node-loss-force-delete (powered off)",
      "rwo-node-out-of-service (kubelet stopped)",
      "rwo-node-out-of-service (powered off)",
    ]);
    expect(await failoverPage.locator(".failover-matrix thead th code").allTextContents()).toEqual(
      failover.storageClasses.map((c) => c.name),
    );
    const cell = (mode: string) =>
      failoverPage.locator(
        `.failover-matrix td[data-scenario="rwo-node-out-of-service"][data-class="amc-block"][data-mode="${mode}"]`,
      );
    expect(await cell("kubelet-stopped").innerText()).toBe("FINDING\nfailed over in 55.6 s");
    expect(await cell("powered-off").innerText()).toBe("conforms\nfailed over in 65.6 s");
    expect(await cell("powered-off").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
      "rgb(218, 251, 225)",
    );
  });

  it("draws a timeline per result that injected its fault, one mark per phase on one time axis", async () => {
    const results = failover.results.filter((r) => (r.failover?.phases.length ?? 0) > 0);
    expect(await failoverPage.locator("figure.failover svg.timeline").count()).toBe(results.length);
    for (const r of results) {
      const marks = figure(r.scenario, r.storageClass, r.faultMode as string).locator("circle.phase");
      expect(await marks.count(), `${r.scenario} @ ${r.storageClass} (${r.faultMode})`).toBe(
        r.failover?.phases.length,
      );
    }
    const chart = figure("rwo-node-loss-force-delete", "amc-block", "kubelet-stopped");
    const marks = chart.locator("circle.phase");
    const ids = await marks.evaluateAll((cs) => cs.map((c) => c.getAttribute("data-phase")));
    expect(ids).toEqual(
      kindFailover.records
        .find(
          (r) =>
            r.scenario === "rwo-node-loss-force-delete" &&
            r.storageClass === "amc-block" &&
            r.failover?.mode === "kubelet-stopped",
        )
        ?.failover?.phases.map((p) => p.id),
    );
    // Laid out on the axis: later phases further right, the 6-minute wait visible as a long step.
    const xs = await marks.evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().x));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const box = await chart.locator("svg.timeline").boundingBox();
    const refused = xs[ids.indexOf("replacement-refused")] as number;
    const detached = xs[ids.indexOf("old-attachment-deleted")] as number;
    expect((detached - refused) / (box?.width ?? 1)).toBeGreaterThan(0.5);
    expect(await chart.locator("text.tick").first().textContent()).toBe("0 s");
    expect(await chart.locator("line.total").count()).toBe(1);
    const tip = await chart.locator('circle.phase[data-phase="pod-evicted"] title').textContent();
    expect(tip).toMatch(/^pod-evicted at 59\.5 s \(event\): TaintManagerEviction: Marking for deletion Pod /);
  });

  it("states the total, the data and the fencing verdicts, with the old writer's lines", async () => {
    const chart = figure("rwo-node-loss-force-delete", "amc-block", "kubelet-stopped");
    expect(await chart.locator("li.total").innerText()).toBe(
      "node lost → workload writing elsewhere: 422.1 s",
    );
    expect(await chart.locator("li.data").getAttribute("data-status")).toBe("passed");
    expect(await chart.locator("li.fencing").innerText()).toMatch(/^fencing: NOT FENCED: not fenced: /);
    expect(await chart.locator("pre.fencing-lines").textContent()).toMatch(
      /^writer-\S+ amc-dev-worker2 1 \d+\.\d+\nwriter-\S+ amc-dev-worker \d+ /,
    );
    const stuck = figure("rwo-node-loss", "amc-block", "powered-off");
    expect(await stuck.locator("li.total").innerText()).toBe(
      "node lost → workload writing elsewhere: not recovered within 120.0 s",
    );
    expect(await stuck.locator("line.total").count()).toBe(0);
    expect(await stuck.locator("li.fencing").getAttribute("data-status")).toBe("not-applicable");
  });

  it("opens a node-failure cell's evidence: its timeline and its events", async () => {
    const dialog = failoverPage.locator("dialog#evidence");
    await failoverPage
      .locator(
        '.failover-matrix td[data-scenario="rwo-node-loss"][data-class="amc-block"][data-mode="powered-off"] button',
      )
      .click();
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator("h3").textContent()).toBe("rwo-node-loss @ amc-block (powered-off)");
    expect(await dialog.locator("h4", { hasText: "Node failure" }).textContent()).toBe(
      "Node failure: powered off, nobody intervenes",
    );
    const multiAttach = dialog
      .locator("table.events tbody tr")
      .filter({ hasText: "Multi-Attach error for volume" });
    expect(await multiAttach.count()).toBe(1);
    await dialog.locator("button.close").click();
  });

  it("is kept as a screenshot", async () => {
    await mkdir(reportDir, { recursive: true });
    const path = resolve(reportDir, "certification-failover-screenshot.png");
    await failoverPage.screenshot({ path, fullPage: true });
    expect(
      await access(path).then(
        () => true,
        () => false,
      ),
    ).toBe(true);
  });
});
