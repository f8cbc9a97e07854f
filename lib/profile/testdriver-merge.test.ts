import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../errors.ts";
import { buildCertification } from "../report/certification.ts";
import { renderHtml } from "../report/html.ts";
import { renderMarkdown } from "../report/markdown.ts";
import { recordedEnd, recordedPlan, recordedRecords } from "../report/testdata/fixture.ts";
import { evaluateClaims, withClaims } from "./claims.ts";
import { loadProfile } from "./load-profile.ts";
import { parseTestDriver, TestDriverError } from "./testdriver.ts";
import { loadCertifyInput, mergeClaims } from "./testdriver-merge.ts";

/** Test-driver files merged with a profile beside them: what each says, what neither says, and where they disagree. */

const testdata = (name: string) => `lib/profile/testdata/${name}`;

async function problemsOf(load: Promise<unknown>): Promise<string[]> {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TestDriverError);
  expect(exitCodeOf(error)).toBe(2);
  return (error as TestDriverError).problems;
}

describe("the claims of a test-driver file alone", () => {
  it("are the file's, with what it cannot say left open and why", async () => {
    const { stored, timeoutScale } = await loadCertifyInput([testdata("testdriver-block.yaml")]);
    expect(stored.file).toBe(testdata("testdriver-block.yaml"));
    expect(stored.sources).toEqual([
      { file: testdata("testdriver-block.yaml"), sha256: stored.sha256, kind: "test-driver" },
    ]);
    expect(stored.profile.driver).toEqual({ name: "block.csi.example.com" });
    const [block] = stored.profile.storageClasses;
    expect(block).toMatchObject({
      name: "example-block",
      provisioner: "block.csi.example.com",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      blockAccessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
    });
    expect(block?.rwoCrossNode).toBeUndefined();
    expect(block?.unclaimed?.accessModes?.ReadWriteMany).toBe(
      "lib/profile/testdata/testdriver-block.yaml does not set DriverInfo.Capabilities.RWX (upstream then only skips its tests), and no --profile says",
    );
    expect(block?.unclaimed?.rwoCrossNode).toMatch(
      /does not set DriverInfo\.Capabilities\.singleNodeVolume, /,
    );
    // ReadOnlyMany not listed claims nothing already, as in a profile: no reason needed.
    expect(block?.unclaimed?.accessModes).not.toHaveProperty("ReadOnlyMany");
    expect(stored.warnings).toHaveLength(10);
    expect(timeoutScale).toMatchObject({ factor: 2, file: testdata("testdriver-block.yaml") });
  });

  it("one class per file: two files naming one class are refused", async () => {
    expect(
      await problemsOf(
        loadCertifyInput([testdata("testdriver-block.yaml"), testdata("testdriver-typos.yaml")]),
      ),
    ).toEqual([
      "lib/profile/testdata/testdriver-typos.yaml:4:3: StorageClass.FromExistingClassName: class example-block is already lib/profile/testdata/testdriver-block.yaml's: one test-driver file per class",
    ]);
  });
});

describe("a profile beside a test-driver file", () => {
  it("adds what the file cannot say, and leaves open what neither says", async () => {
    const { stored } = await loadCertifyInput(
      [testdata("testdriver-block.yaml")],
      testdata("testdriver-beside.yaml"),
    );
    // The profile is the run's file; both are sources.
    expect(stored.file).toBe(testdata("testdriver-beside.yaml"));
    expect(stored.sources?.map((s) => [s.file, s.kind])).toEqual([
      [testdata("testdriver-beside.yaml"), "profile"],
      [testdata("testdriver-block.yaml"), "test-driver"],
    ]);
    expect(stored.profile.driver).toEqual({ name: "block.csi.example.com", vendor: "Example Storage" });
    const [block] = stored.profile.storageClasses;
    expect(block).toEqual({
      name: "example-block",
      provisioner: "block.csi.example.com",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      blockAccessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      rwoCrossNode: "attach-exclusive",
      handoffBudget: "60s",
      failover: { "out-of-service": "3m" },
      fencing: "required",
      zoneFailover: "none",
      unclaimed: {
        accessModes: {
          ReadWriteMany:
            "lib/profile/testdata/testdriver-block.yaml does not set DriverInfo.Capabilities.RWX (upstream then only skips its tests), and lib/profile/testdata/testdriver-beside.yaml does not list it",
        },
        blockAccessModes: {
          ReadWriteMany:
            "lib/profile/testdata/testdriver-block.yaml does not set DriverInfo.Capabilities.RWX (upstream then only skips its tests), and lib/profile/testdata/testdriver-beside.yaml does not list it",
        },
      },
    });
  });

  it("claims the modes the file leaves open: listed supported, not listed refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "amc-beside-"));
    try {
      const beside = join(dir, "beside.yaml");
      await writeFile(
        beside,
        "profile: access-mode-conformance/profile@1\nstorageClasses:\n  - name: example-block\n    accessModes: [ReadWriteOnce, ReadWriteOncePod, ReadOnlyMany]\n    blockAccessModes: [ReadWriteOnce, ReadWriteOncePod, ReadWriteMany]\n",
      );
      const { stored } = await loadCertifyInput([testdata("testdriver-block.yaml")], beside);
      const [block] = stored.profile.storageClasses;
      expect(block?.accessModes).toEqual(["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany"]);
      expect(block?.blockAccessModes).toEqual(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]);
      // ReadWriteMany on filesystem volumes: not listed, so claimed refused; nothing is left open but rwoCrossNode.
      expect(block?.unclaimed).toEqual({ rwoCrossNode: expect.stringContaining("does not say it either") });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("that disagrees with the file on a claim the file makes stops certify, listing every conflict", async () => {
    expect(
      await problemsOf(
        loadCertifyInput([testdata("testdriver-block.yaml")], testdata("testdriver-beside-conflicts.yaml")),
      ),
    ).toEqual([
      "the test-driver files and lib/profile/testdata/testdriver-beside-conflicts.yaml disagree; neither wins: correct the one that is wrong",
      "lib/profile/testdata/testdriver-beside-conflicts.yaml:5:18: storageClasses[0].provisioner: other.csi.example.com conflicts with lib/profile/testdata/testdriver-block.yaml:9:3: DriverInfo.Name: block.csi.example.com",
      "lib/profile/testdata/testdriver-beside-conflicts.yaml:6:18: storageClasses[0].accessModes does not list ReadWriteOncePod (the provisioner refuses it); lib/profile/testdata/testdriver-block.yaml:23:5: DriverInfo.Capabilities.readWriteOncePod: true (ReadWriteOncePod supported)",
    ]);
  });

  it("is held to the profile's rules on the merged claims: no failover for what the file says is node-local", async () => {
    expect(
      await problemsOf(
        loadCertifyInput(
          [testdata("testdriver-amc-local.yaml")],
          testdata("testdriver-beside-node-local.yaml"),
        ),
      ),
    ).toEqual([
      "lib/profile/testdata/testdriver-beside-node-local.yaml:7:7: storageClasses[0].failover: node-local storage never fails over (its volume exists on the failed node only, a finding the node-failure scenarios report); amc-local is claimed node-local (node-local by lib/profile/testdata/testdriver-amc-local.yaml:10:5: DriverInfo.Capabilities.singleNodeVolume: true: a volume is reachable from one node only)",
      "lib/profile/testdata/testdriver-beside-node-local.yaml:8:14: storageClasses[0].fencing: node-local storage never fails over (its volume exists on the failed node only, a finding the node-failure scenarios report); amc-local is claimed node-local (node-local by lib/profile/testdata/testdriver-amc-local.yaml:10:5: DriverInfo.Capabilities.singleNodeVolume: true: a volume is reachable from one node only)",
    ]);
  });

  it("adds claims only to the files' classes", async () => {
    expect(
      await problemsOf(
        loadCertifyInput([testdata("testdriver-amc-local.yaml")], testdata("testdriver-beside.yaml")),
      ),
    ).toEqual([
      "lib/profile/testdata/testdriver-beside.yaml:7:11: storageClasses[0].name: example-block is no test-driver file's class (they name amc-local): beside test-driver files a profile adds claims to their classes",
    ]);
  });
});

describe("the merged claims, checked", () => {
  it("against a recorded run: what the file says held, what it leaves open not checked, with why", async () => {
    const { stored } = await loadCertifyInput([testdata("testdriver-amc-local.yaml")]);
    const cert = buildCertification(recordedPlan, recordedRecords, {
      finishedAt: recordedEnd.finishedAt,
      status: "complete",
    });
    const claims = evaluateClaims(stored, cert);
    expect(Object.fromEntries(claims.results.map((c) => [c.id, c.status]))).toEqual({
      "amc-local/provisioner": "held",
      "amc-local/access-mode/ReadWriteOnce": "held",
      "amc-local/access-mode/ReadWriteOncePod": "held",
      "amc-local/access-mode/ReadWriteMany": "not-checked",
      "amc-local/rwo-cross-node": "held",
    });
    expect(claims.results.find((c) => c.id === "amc-local/access-mode/ReadWriteMany")).toMatchObject({
      claim: "says nothing of ReadWriteMany: neither supported nor refused",
      reason:
        "not claimed: lib/profile/testdata/testdriver-amc-local.yaml does not set DriverInfo.Capabilities.RWX (upstream then only skips its tests), and no --profile says",
      evidence: [],
    });
    // The certification names the file it read, and carries no warnings when there are none.
    expect(claims.profile).toEqual({
      file: testdata("testdriver-amc-local.yaml"),
      sha256: stored.sha256,
      driver: { name: "amc-local.csi.test" },
      sources: stored.sources,
    });
  });

  it("an open rwoCrossNode is reported not checked, with why", () => {
    const shared = parseTestDriver(
      "shared.yaml",
      "StorageClass: {FromExistingClassName: amc-shared}\nDriverInfo:\n  Name: amc-shared.csi.test\n  Capabilities: {multipods: true, RWX: true}\n",
    );
    const cert = buildCertification(recordedPlan, recordedRecords, {
      finishedAt: recordedEnd.finishedAt,
      status: "complete",
    });
    const results = evaluateClaims(mergeClaims([shared]).stored, cert).results;
    expect(results.find((c) => c.id === "amc-shared/access-mode/ReadWriteMany")?.status).toBe("held");
    expect(results.find((c) => c.kind === "rwo-cross-node")).toMatchObject({
      status: "not-checked",
      claim: "says nothing of what keeps a second node off a ReadWriteOnce volume",
      reason: expect.stringMatching(
        /^not claimed: shared\.yaml does not set DriverInfo\.Capabilities\.singleNodeVolume, .*; a --profile beside it can say it \(rwoCrossNode\)$/,
      ),
      decidedBy: { scenarios: ["rwo-cross-node", "rwo-cross-node-block"], fields: ["observed.outcome"] },
      evidence: [],
    });
  });

  it("reach the run's set-up as a stored profile, taken as it is", async () => {
    const { stored } = await loadCertifyInput(
      [testdata("testdriver-block.yaml")],
      testdata("testdriver-beside.yaml"),
    );
    const dir = await mkdtemp(join(tmpdir(), "amc-handover-"));
    try {
      const file = join(dir, "profile.json");
      await writeFile(file, JSON.stringify(stored));
      expect(await loadProfile(file)).toEqual(stored);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the certification of a test-driver file", () => {
  const schema = JSON.parse(readFileSync("lib/report/certification.schema.json", "utf8"));
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);

  it("names the files the claims were read from and carries the warnings, in JSON, Markdown and HTML", async () => {
    const { stored } = await loadCertifyInput([testdata("testdriver-typos.yaml")]);
    const cert = withClaims(
      buildCertification(recordedPlan, recordedRecords, {
        finishedAt: recordedEnd.finishedAt,
        status: "complete",
      }),
      stored,
    );
    expect(validate(JSON.parse(JSON.stringify(cert))), JSON.stringify(validate.errors)).toBe(true);
    expect(cert.claims?.profile.warnings).toHaveLength(4);
    const markdown = renderMarkdown(cert);
    expect(markdown).toContain(
      `Claims read from \`lib/profile/testdata/testdriver-typos.yaml\` (upstream test-driver file, SHA-256 \`${stored.sha256}\`).`,
    );
    expect(markdown).toContain(
      "- lib/profile/testdata/testdriver-typos.yaml:10:3: DriverInfo.Capabilites: unknown key: upstream ignores it without a word, and so does amc (did you mean Capabilities?)\n",
    );
    const html = renderHtml(cert);
    expect(html).toContain("4 warning(s) about the test-driver files");
    expect(html).toContain("DriverInfo.Capabilities.readWriteOncepod: unknown key");
  });
});
