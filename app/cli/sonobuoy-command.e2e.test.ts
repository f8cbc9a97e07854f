import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { progressPort } from "./testdata/progress-port.ts";

/**
 * `amc sonobuoy` against this test run's local cluster, with Sonobuoy's side
 * of the contract played here: the results directory, and a progress port
 * that keeps what is POSTed. (On kind, suites/in-cluster.e2e.test.ts runs it
 * under Sonobuoy itself.)
 */

const cluster = inject("cluster");
const amc = fileURLToPath(new URL("../../bin/amc.js", import.meta.url));
let scratch: string;
let worker: Awaited<ReturnType<typeof progressPort>>;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "amc-sonobuoy-"));
  worker = await progressPort();
});
afterAll(async () => {
  worker?.close();
  await rm(scratch, { recursive: true, force: true });
});

const sonobuoy = (args: string[], results: string) =>
  execa(process.execPath, [amc, "sonobuoy", ...args], {
    reject: false,
    all: true,
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
      ),
      AMC_LOCAL_CLUSTER: cluster.name,
      SONOBUOY_RESULTS_DIR: results,
      SONOBUOY_PROGRESS_PORT: String(worker.port),
    },
    extendEnv: false,
  });

describe.runIf(cluster.provider === "local")("amc sonobuoy", () => {
  it("hands Sonobuoy a verdict per scenario and class, the certification, progress and the done file", async () => {
    const results = join(scratch, "run");
    const run = await sonobuoy(
      ["--scenario", "rwo-same-node,rwo-cross-node", "--storage-class", "amc-block,amc-local"],
      results,
    );
    expect(run.exitCode, run.all).toBe(0);
    expect((await readFile(join(results, "done"), "utf8")).trim()).toBe(join(results, "amc"));
    const item = parse(await readFile(join(results, "amc", "sonobuoy_results.yaml"), "utf8"));
    const certification = JSON.parse(await readFile(join(results, "amc", "certification.json"), "utf8"));
    // On the local cluster all four conform (rwo-cross-node: Multi-Attach on amc-block, node affinity on amc-local).
    expect(
      item.items.map((i: { name: string; status: string; details: { verdict: string } }) => [
        i.name,
        i.status,
        i.details.verdict,
      ]),
    ).toEqual(
      certification.results.map((r: { scenario: string; storageClass: string }) => [
        `${r.scenario} @ ${r.storageClass}`,
        "passed",
        "conforms",
      ]),
    );
    expect(item.items).toHaveLength(4);
    expect(item.details.certificationSha256).toMatch(/^[0-9a-f]{64}$/);
    const last = worker.received.at(-1);
    expect(last).toMatchObject({ total: 4, completed: 4, failures: [] });
  });

  it("says why in a failed item, and writes the done file, when the run cannot start", async () => {
    const results = join(scratch, "bad");
    const run = await sonobuoy(["--storage-class", "no-such-class"], results);
    expect(run.exitCode, run.all).toBe(2);
    expect((await readFile(join(results, "done"), "utf8")).trim()).toBe(join(results, "amc"));
    const item = parse(await readFile(join(results, "amc", "sonobuoy_results.yaml"), "utf8"));
    expect(item).toMatchObject({ name: "access-mode-conformance", status: "failed" });
    expect(item.details.error).toMatch(/no-such-class/);
  });
});
