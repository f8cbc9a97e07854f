import { describe, expect, it } from "vitest";
import { exitCodeOf, UsageError } from "../errors.ts";
import { loadProfile, ProfileError, parseProfile } from "./load-profile.ts";
import { durationMs } from "./profile.ts";

/** Profiles are read from real files: the positions asserted are where the problems are written. */

const testdata = (name: string) => `lib/profile/testdata/${name}`;

async function problemsOf(file: string): Promise<string[]> {
  const error = await loadProfile(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProfileError);
  return (error as ProfileError).message.split("\n");
}

describe("loadProfile", () => {
  it("reads the shipped example profiles", async () => {
    const local = await loadProfile("profiles/local.yaml");
    expect(local.profile.storageClasses.map((c) => [c.name, c.rwoCrossNode])).toEqual([
      ["amc-block", "attach-exclusive"],
      ["amc-local", "node-local"],
      ["amc-shared", "attach-exclusive"],
      ["amc-zonal", "attach-exclusive"],
    ]);
    expect(local.sha256).toMatch(/^[0-9a-f]{64}$/);
    const kind = await loadProfile("profiles/kind.yaml");
    expect(kind.profile.storageClasses.find((c) => c.name === "standard")).toMatchObject({
      provisioner: "rancher.io/local-path",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      rwoCrossNode: "node-local",
    });
  });

  it("points at malformed YAML with file, line and column", async () => {
    expect(await problemsOf(testdata("malformed.yaml"))).toEqual([
      "lib/profile/testdata/malformed.yaml:8:5: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("points at each schema violation and says what was expected there", async () => {
    expect(await problemsOf(testdata("violations.yaml"))).toEqual([
      'lib/profile/testdata/violations.yaml:5:3: driver: unknown field "colour"; expected one of: name, vendor, version',
      'lib/profile/testdata/violations.yaml:8:34: storageClasses[0].accessModes[1]: expected one of ReadWriteOnce, ReadWriteOncePod, ReadWriteMany, ReadOnlyMany (got "ReadWriteTwice")',
      'lib/profile/testdata/violations.yaml:9:19: storageClasses[0].rwoCrossNode: expected one of attach-exclusive, node-local, not-enforced (got "exclusive")',
      expect.stringMatching(
        /^lib\/profile\/testdata\/violations\.yaml:10:20: storageClasses\[0\]\.handoffBudget: expected a duration such as 30s, .* \(got "quick"\)$/,
      ),
      'lib/profile/testdata/violations.yaml:11:5: storageClasses[1]: missing "name": the StorageClass name, as the cluster has it',
    ]);
  });

  it("refuses a class listed twice and a handoff budget for storage that never hands over", async () => {
    expect(await problemsOf(testdata("contradictions.yaml"))).toEqual([
      "lib/profile/testdata/contradictions.yaml:9:20: storageClasses[0].handoffBudget: only attach-exclusive storage hands a volume over between nodes; local is claimed node-local",
      "lib/profile/testdata/contradictions.yaml:10:11: storage class local is listed twice",
    ]);
  });

  it("reads the failover and fencing claims of the shipped profiles", async () => {
    const kind = await loadProfile("profiles/kind.yaml");
    expect(kind.profile.storageClasses.find((c) => c.name === "amc-block")).toMatchObject({
      failover: { "out-of-service": "3m", "force-delete": "9m" },
      fencing: "not-required",
    });
    const local = await loadProfile("profiles/local.yaml");
    expect(local.profile.storageClasses.map((c) => [c.name, c.failover, c.fencing])).toEqual([
      ["amc-block", { "out-of-service": "2m", "force-delete": "2m" }, "not-required"],
      ["amc-local", undefined, undefined],
      ["amc-shared", { "out-of-service": "2m", "force-delete": "2m" }, "not-required"],
      ["amc-zonal", undefined, undefined],
    ]);
  });

  it("reads the zone failover claims of the shipped profiles", async () => {
    const kind = await loadProfile("profiles/kind.yaml");
    expect(kind.profile.storageClasses.map((c) => [c.name, c.zoneFailover])).toEqual([
      ["standard", "none"],
      ["amc-block", "120s"],
      ["amc-local", "none"],
      ["amc-shared", "120s"],
      ["amc-zonal", "none"],
    ]);
    expect(kind.profile.storageClasses.find((c) => c.name === "amc-zonal")).toEqual({
      name: "amc-zonal",
      provisioner: "amc-zonal.csi.test",
      accessModes: ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany"],
      blockAccessModes: ["ReadWriteOnce", "ReadWriteOncePod"],
      rwoCrossNode: "attach-exclusive",
      readOnlyMany: { readOnly: "enforced", withoutReadOnly: "writable" },
      handoffBudget: "60s",
      zoneFailover: "none",
    });
    const local = await loadProfile("profiles/local.yaml");
    expect(local.profile.storageClasses.map((c) => [c.name, c.zoneFailover])).toEqual([
      ["amc-block", "60s"],
      ["amc-local", "none"],
      ["amc-shared", "60s"],
      ["amc-zonal", "none"],
    ]);
  });

  it("points at a zone failover claim that is neither none nor a duration, or a budget for node-local storage", () => {
    const profile = (zoneFailover: string, rwoCrossNode = "attach-exclusive") =>
      [
        "profile: access-mode-conformance/profile@1",
        "driver: { name: test }",
        "storageClasses:",
        "  - name: disk",
        "    accessModes: [ReadWriteOnce]",
        `    rwoCrossNode: ${rwoCrossNode}`,
        `    zoneFailover: ${zoneFailover}`,
        "",
      ].join("\n");
    expect(parseProfile("p.yaml", profile("90s")).storageClasses[0]?.zoneFailover).toBe("90s");
    expect(parseProfile("p.yaml", profile("none", "node-local")).storageClasses[0]?.zoneFailover).toBe(
      "none",
    );
    expect(() => parseProfile("p.yaml", profile("never"))).toThrow(
      /^p\.yaml:7:19: storageClasses\[0\]\.zoneFailover: expected none, or a duration such as 90s or 2m: .* \(got "never"\)$/,
    );
    expect(() => parseProfile("p.yaml", profile("2m", "node-local"))).toThrow(
      "p.yaml:7:19: storageClasses[0].zoneFailover: node-local storage never fails over to another zone (its volume exists on one node only): claim none; disk is claimed node-local",
    );
  });

  it("points at each problem of a failover or fencing claim", async () => {
    expect(await problemsOf(testdata("failover-violations.yaml"))).toEqual([
      'lib/profile/testdata/failover-violations.yaml:10:7: storageClasses[0].failover: unknown field "out-of-servic"; expected one of: none, force-delete, out-of-service',
      "lib/profile/testdata/failover-violations.yaml:11:21: storageClasses[0].failover.force-delete: expected a duration such as 90s or 8m, from the node's failure: the workload writes on another node within it once the old pod is force-deleted (with the attach/detach controller's 6-minute wait on real nodes) (got \"eight minutes\")",
      'lib/profile/testdata/failover-violations.yaml:12:14: storageClasses[0].fencing: expected one of required, not-required (got "yes-please")',
      "lib/profile/testdata/failover-violations.yaml:16:15: storageClasses[1].failover: expected at least one of: none, force-delete, out-of-service",
    ]);
  });

  it("refuses failover and fencing claims for node-local storage, and failover budgets that say nothing of fencing", async () => {
    expect(await problemsOf(testdata("failover-contradictions.yaml"))).toEqual([
      "lib/profile/testdata/failover-contradictions.yaml:10:7: storageClasses[0].failover: node-local storage never fails over (its volume exists on the failed node only, a finding the node-failure scenarios report); local is claimed node-local",
      "lib/profile/testdata/failover-contradictions.yaml:11:14: storageClasses[0].fencing: node-local storage never fails over (its volume exists on the failed node only, a finding the node-failure scenarios report); local is claimed node-local",
      "lib/profile/testdata/failover-contradictions.yaml:16:7: storageClasses[1]: block claims failover budgets: say whether a failed node is fenced, fencing: required or not-required",
    ]);
  });

  it("says when the file cannot be read, or is not a profile at all", async () => {
    await expect(loadProfile(testdata("no-such-file.yaml"))).rejects.toThrow(
      "lib/profile/testdata/no-such-file.yaml: cannot read the profile: ENOENT",
    );
    expect(() => parseProfile("empty.yaml", "")).toThrow(
      "empty.yaml:1:1: the profile: expected a mapping (got null)",
    );
    expect(() => parseProfile("p.yaml", "profile: access-mode-conformance/profile@2\n")).toThrow(
      'p.yaml:1:10: profile: expected "access-mode-conformance/profile@1" (got "access-mode-conformance/profile@2")',
    );
  });

  it("is a usage error, so that amc exits with code 2", async () => {
    const error = await loadProfile(testdata("violations.yaml")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(exitCodeOf(error)).toBe(2);
  });
});

describe("durationMs", () => {
  it("reads the durations the schema admits", () => {
    expect(durationMs("30s")).toBe(30_000);
    expect(durationMs("1.5m")).toBe(90_000);
    expect(durationMs("800ms")).toBe(800);
    expect(() => durationMs("soon")).toThrow("not a duration: soon");
  });
});
