import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Certification } from "../../lib/report/document.ts";

/**
 * `amc` as a user gets it: the package as `npm pack` makes it, installed
 * with npm into a project of its own, run through its bin link. Node strips
 * no TypeScript under node_modules, so this is what proves the install runs.
 * The run reuses this test run's local cluster.
 */

const cluster = inject("cluster");
const root = fileURLToPath(new URL("../../", import.meta.url));
// The npm that runs this test (npm test), else the one on PATH.
const npm = (args: string[], cwd: string) =>
  process.env.npm_execpath
    ? execa(process.execPath, [process.env.npm_execpath, ...args], { cwd })
    : execa("npm", args, { cwd });

describe.runIf(cluster.provider === "local")("the installed package", () => {
  let scratch: string;
  let project: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "amc-installed-"));
    project = join(scratch, "project");
    await npm(["pack", "--pack-destination", scratch], root);
    const [tarball] = (await readdir(scratch)).filter((f) => f.endsWith(".tgz"));
    await mkdir(project);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true }));
    await npm(
      ["install", "--prefer-offline", "--no-audit", "--no-fund", join(scratch, tarball ?? "")],
      project,
    );
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The bin link, started through its shebang as a shell would, with this test's Node first on PATH. */
  const amc = (args: string[]) =>
    execa(join(project, "node_modules", ".bin", "amc"), args, {
      cwd: project,
      reject: false,
      // A user's environment: none of this test run's AMC_ or vitest settings.
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
        ),
        PATH: [dirname(process.execPath), process.env.PATH].join(delimiter),
        AMC_LOCAL_CLUSTER: cluster.name,
      },
      extendEnv: false,
    });

  it("runs a scenario, writes its reports and renders them again, Allure included", async () => {
    const run = await amc(["run", "--scenario", "rwo-same-node", "--storage-class", "amc-block"]);
    expect(run.stderr).not.toMatch(/ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING|ExperimentalWarning/);
    expect(run.exitCode, run.stderr).toBe(0);
    const certification = JSON.parse(
      await readFile(join(project, "reports", "certification.json"), "utf8"),
    ) as Certification;
    expect(certification.results.map((r) => [r.scenario, r.storageClass, r.verdict])).toEqual([
      ["rwo-same-node", "amc-block", "conforms"],
    ]);

    const report = await amc(["report", "--run", certification.run.id]);
    expect(report.exitCode, report.stderr).toBe(0);
    await access(join(project, "reports", "allure-report", "index.html"));
    const unknown = await amc(["report", "--run", "20000101t000000-0000"]);
    expect([unknown.exitCode, unknown.stderr]).toEqual([2, expect.stringContaining("has no plan")]);
  });
});
