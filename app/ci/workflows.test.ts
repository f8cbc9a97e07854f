import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { components } from "../../clusters/binaries/components.ts";
import { resolveComponent } from "../../clusters/binaries/resolve.ts";
import { nightlyMatrixProblems } from "./nightly-matrix.ts";

/**
 * The GitHub Actions workflows cannot run here (no registry, no GitHub), so
 * they are checked statically: actionlint (built from the Go module proxy like
 * the other upstream tools; it runs shellcheck on `run:` blocks when shellcheck
 * is on PATH) on every file of .github/workflows/, and the nightly matrix
 * against the manifests and pins it refers to.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const workflowsDir = join(root, ".github", "workflows");
const nightly = join(workflowsDir, "nightly.yml");

let actionlint: string;
let scratch: string;

beforeAll(async () => {
  // A cold build takes about a minute; later runs take it from the cache.
  actionlint = join((await resolveComponent(components.actionlint)).dir, "actionlint");
  scratch = await mkdtemp(join(tmpdir(), "amc-workflows-"));
}, 10 * 60_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function lint(files: readonly string[]) {
  return execa(actionlint, ["-no-color", "-oneline", ...files], { cwd: root, reject: false, all: true });
}

describe("actionlint", () => {
  it("reports nothing on .github/workflows/", { timeout: 60_000 }, async () => {
    const files = (await readdir(workflowsDir))
      .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
      .map((f) => join(".github", "workflows", f));
    expect(files).toContain(join(".github", "workflows", "nightly.yml"));
    const result = await lint(files);
    expect(result.all, `actionlint ${files.join(" ")}`).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("reports a broken workflow (the check is live)", { timeout: 60_000 }, async () => {
    const broken = join(scratch, "broken.yml");
    await writeFile(
      broken,
      "on: nightly\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo broken\n",
    );
    const result = await lint([broken]);
    expect(result.exitCode).toBe(1);
    expect(result.all).toMatch(/unknown Webhook event "nightly"/);
  });
});

describe("the nightly matrix", () => {
  it("matches manifests/nightly/ and the pins", async () => {
    expect(nightlyMatrixProblems(await readFile(nightly, "utf8"), root)).toEqual([]);
  });

  it("fails for a driver without manifests, an unknown scenario and a kind pin that drifted", async () => {
    const text = (await readFile(nightly, "utf8"))
      .replace("driver: [local-path,", "driver: [csi-driver-missing, local-path,")
      .replace("scenarios: rwo-same-node,", "scenarios: rwo-same-nod,")
      .replace(/KIND_VERSION: \S+/, "KIND_VERSION: v0.0.1");
    const problems = nightlyMatrixProblems(text, root).join("\n");
    expect(problems).toMatch(/env.KIND_VERSION is v0.0.1/);
    expect(problems).toMatch(
      /driver csi-driver-missing: manifests\/nightly\/csi-driver-missing\/ does not exist/,
    );
    expect(problems).toMatch(/driver csi-driver-missing has no storage-class/);
    expect(problems).toMatch(/unknown scenario rwo-same-nod/);
  });

  it("fails when the nodes it names are not the kind cluster's workers", async () => {
    const text = (await readFile(nightly, "utf8")).replace(/CLUSTER: \S+/, "CLUSTER: renamed");
    const problems = nightlyMatrixProblems(text, root).join("\n");
    expect(problems).toMatch(
      /names node amc-nightly-worker, not a worker of the kind cluster \(renamed-worker, renamed-worker2\)/,
    );
    expect(problems).toMatch(/csi-driver-host-path\/driver.yaml: a nodeSelector names amc-nightly-worker/);
  });

  it("fails when a driver's manifests lack the class the matrix tests", async () => {
    const text = (await readFile(nightly, "utf8")).replace(
      "storage-class: nfs-csi",
      "storage-class: nfs-other",
    );
    expect(nightlyMatrixProblems(text, root).join("\n")).toMatch(
      /the matrix tests class nfs-other, which manifests\/nightly\/csi-driver-nfs\/\*\.yaml does not define \(it defines: nfs-csi\)/,
    );
  });
});
