import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { sourceArchives } from "../clusters/binaries/pins.ts";
import type { Certification } from "../lib/report/document.ts";
import { readSettings } from "../lib/settings.ts";
import { findUpstreamArchive } from "../lib/upstream-src.ts";

/**
 * Upstream's reference CSI driver on kind (clusters/kind/hostpath-install.ts):
 * both configurations are there, discovery finds their families from the
 * cluster, and `amc certify` reads upstream's own test-driver file for it and
 * checks, claim by claim, what the file promises against what the cluster did.
 */

const cluster = inject("cluster");
const storage = inject("storage");
const root = fileURLToPath(new URL("../", import.meta.url));
const archive = findUpstreamArchive(sourceArchives.csiHostpath.file);

describe.runIf(cluster.provider === "kind")("upstream's csi-driver-host-path on kind", () => {
  it("is installed node-local and attachable, each family found from the cluster", () => {
    // The archive is the air-gapped source of its images (or the user names upstream's images):
    // without either the classes are left out, and said so.
    if (!archive && !readSettings().kindImages.hostpath) {
      return expect(storage.some((s) => s.provisioner.includes("hostpath"))).toBe(false);
    }
    const byName = Object.fromEntries(storage.map((s) => [s.className, s]));
    expect(byName["csi-hostpath-fast"]).toMatchObject({
      provisioner: "hostpath.csi.k8s.io",
      family: "node-local",
    });
    expect(byName["csi-hostpath-fast"]?.familyReason).toMatch(
      /by node affinity on topology\.hostpath\.csi\/node/,
    );
    expect(byName["csi-hostpath-fast"]?.pluginNodes).toBeUndefined();
    expect(byName["csi-hostpath-attach"]).toMatchObject({
      provisioner: "attach.hostpath.csi.k8s.io",
      family: "attachable",
      csiDriver: { attachRequired: true },
    });
    expect(byName["csi-hostpath-attach"]?.pluginNodes).toHaveLength(1);
  });

  it.runIf(archive)(
    "certifies upstream's own test-driver.yaml claim by claim",
    { timeout: 20 * 60_000 },
    async () => {
      // Read from the release archive, never kept in the repository; the scratch is made only
      // when the test runs (a file whose tests are all skipped runs no hooks).
      const scratch = await mkdtemp(join(tmpdir(), "amc-upstream-driver-"));
      onTestFinished(() => rm(scratch, { recursive: true, force: true }));
      const top = sourceArchives.csiHostpath.topDir;
      await execa("tar", [
        "-xzf",
        archive as string,
        "-C",
        scratch,
        `${top}/deploy/kubernetes-distributed/test-driver.yaml`,
      ]);
      const testDriver = join(scratch, top, "deploy/kubernetes-distributed/test-driver.yaml");
      const reportDir = join(scratch, "reports");
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith("AMC_") && !key.startsWith("VITEST")),
      );
      const args = [
        "bin/amc.js",
        "certify",
        "--testdriver",
        testDriver,
        "--cluster",
        "kind",
        "--cluster-name",
        cluster.name,
        "--scenario",
        "rwo-same-node,rwo-cross-node,rwo-same-node-block,rwo-cross-node-block",
        "--timeout",
        `${process.env.AMC_TIMEOUT_SCALE ?? "1"}x`,
        "--report-dir",
        reportDir,
      ];
      // A user's environment: none of this test run's AMC_* or vitest variables.
      const result = await execa(process.execPath, args, { cwd: root, env, extendEnv: false, reject: false });
      expect(result.stderr).toMatch(
        /\[amc certify\] class csi-hostpath-fast \(hostpath\.csi\.k8s\.io\): supports ReadWriteOnce/,
      );
      // Keys the suite does not check are named, so that a typo cannot hide a claim.
      expect(result.stderr).toMatch(/Capabilities\.exec: upstream's key, not checked by amc/);
      const cert = JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8")) as Certification;
      const status = Object.fromEntries((cert.claims?.results ?? []).map((c) => [c.id, c.status]));
      expect(status).toMatchObject({
        "csi-hostpath-fast/access-mode/ReadWriteOnce": "held",
        "csi-hostpath-fast/rwo-cross-node": "held",
        "csi-hostpath-fast/access-mode/ReadWriteOnce/block": "held",
        "csi-hostpath-fast/access-mode/ReadWriteOncePod": "not-checked",
      });
      expect(cert.claims?.profile.warnings?.length).toBeGreaterThan(0);
      expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    },
  );
});
