import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exitCodeOf, UsageError } from "../errors.ts";
import {
  AMC_CLAIM_SIZE,
  loadTestDriver,
  parseTestDriver,
  TestDriverError,
  type TestDriverMapping,
  warningText,
} from "./testdriver.ts";
import { goDurationMs, timeoutScaleOf } from "./testdriver-timeouts.ts";

/** Upstream's test-driver files mapped to amc's claims, from fixtures written in the style of the files drivers ship. */

const testdata = (name: string) => `lib/profile/testdata/${name}`;

const warningsOf = (m: TestDriverMapping) => m.warnings.map((w) => warningText(m.file, w));
const claimOf = (m: TestDriverMapping) =>
  Object.fromEntries(Object.entries(m.claims.modes).map(([mode, c]) => [mode, c.claim]));

async function problemsOf(load: Promise<unknown>): Promise<string[]> {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect(exitCodeOf(error)).toBe(2);
  return (error as Error).message.split("\n");
}

describe("a test-driver file mapped to claims", () => {
  it("takes the class, the provisioner and the claims its capabilities make, and leaves the rest open", async () => {
    const block = await loadTestDriver(testdata("testdriver-block.yaml"));
    expect(block.storageClass).toMatchObject({ name: "example-block", source: "FromExistingClassName" });
    expect(block.storageClass.create).toBeUndefined();
    expect(block.driverName).toBe("block.csi.example.com");
    expect(block.claims.provisioner.value).toBe("block.csi.example.com");
    // multipods: pods on one node share; readWriteOncePod; no RWX capability: no claim either way.
    expect(claimOf(block)).toEqual({
      ReadWriteOnce: "supported",
      ReadWriteOncePod: "supported",
      ReadWriteMany: "unclaimed",
      ReadOnlyMany: "unclaimed",
    });
    expect(block.claims.modes.ReadWriteOncePod).toMatchObject({
      because: "DriverInfo.Capabilities.readWriteOncePod: true",
      at: { line: 23, column: 5 },
    });
    // block: the same modes on raw block volumes.
    expect(
      Object.fromEntries(Object.entries(block.claims.blockModes ?? {}).map(([mode, c]) => [mode, c.claim])),
    ).toEqual({ ReadWriteOnce: "supported", ReadWriteOncePod: "supported", ReadWriteMany: "unclaimed" });
    // No singleNodeVolume: attach-exclusive or not enforced, the file cannot say which.
    expect(block.claims.rwoCrossNode.claim).toBe("unclaimed");
    expect(block.topologyKeys).toEqual(["topology.kubernetes.io/zone"]);
  });

  it("names every key upstream has and amc does not check, with where it is", async () => {
    const block = await loadTestDriver(testdata("testdriver-block.yaml"));
    expect(block.warnings.every((w) => w.kind === "not-checked")).toBe(true);
    expect(warningsOf(block)).toEqual([
      "lib/profile/testdata/testdriver-block.yaml:6:1: SnapshotClass: upstream's key, not checked by amc: snapshot tests; amc takes no snapshot",
      "lib/profile/testdata/testdriver-block.yaml:10:3: DriverInfo.SupportedSizeRange: upstream's key, not checked by amc: the sizes upstream's claims ask for",
      "lib/profile/testdata/testdriver-block.yaml:13:3: DriverInfo.SupportedFsType: upstream's key, not checked by amc: file system types upstream formats volumes with",
      "lib/profile/testdata/testdriver-block.yaml:18:5: DriverInfo.Capabilities.persistence: upstream's key, not checked by amc: data outlives the pod that wrote it",
      "lib/profile/testdata/testdriver-block.yaml:20:5: DriverInfo.Capabilities.fsGroup: upstream's key, not checked by amc: volume ownership set by fsGroup",
      "lib/profile/testdata/testdriver-block.yaml:21:5: DriverInfo.Capabilities.exec: upstream's key, not checked by amc: a file on the volume can be executed",
      "lib/profile/testdata/testdriver-block.yaml:24:5: DriverInfo.Capabilities.controllerExpansion: upstream's key, not checked by amc: volume expansion by the controller",
      expect.stringMatching(
        /^lib\/profile\/testdata\/testdriver-block\.yaml:25:5: DriverInfo\.Capabilities\.topology: upstream's key, not checked by amc: .*recorded, not checked/,
      ),
      expect.stringMatching(/:26:3: DriverInfo\.TopologyKeys: upstream's key, not checked by amc: /),
      "lib/profile/testdata/testdriver-block.yaml:31:3: Timeouts.Poll: upstream's key, not checked by amc: amc watches instead of polling",
    ]);
  });

  it("names each typo upstream would ignore, and the claim it drops stays open", async () => {
    const typos = await loadTestDriver(testdata("testdriver-typos.yaml"));
    expect(typos.warnings.map((w) => [w.kind, w.path])).toEqual([
      ["unknown-key", "DriverInfo.Capabilities.readWriteOncepod"],
      ["unknown-key", "DriverInfo.Capabilites"],
      ["unknown-key", "DriverInfo.TopologyKey"],
      ["unknown-key", "Timeouts.ClaimProvison"],
    ]);
    expect(warningsOf(typos)).toEqual([
      "lib/profile/testdata/testdriver-typos.yaml:9:5: DriverInfo.Capabilities.readWriteOncepod: unknown key: upstream ignores it without a word, and so does amc (did you mean readWriteOncePod? upstream matches keys exactly, case included)",
      "lib/profile/testdata/testdriver-typos.yaml:10:3: DriverInfo.Capabilites: unknown key: upstream ignores it without a word, and so does amc (did you mean Capabilities?)",
      "lib/profile/testdata/testdriver-typos.yaml:12:3: DriverInfo.TopologyKey: unknown key: upstream ignores it without a word, and so does amc (did you mean TopologyKeys?)",
      "lib/profile/testdata/testdriver-typos.yaml:16:3: Timeouts.ClaimProvison: unknown key: upstream ignores it without a word, and so does amc (did you mean ClaimProvision?)",
    ]);
    // What the typos meant to claim is not claimed: ReadWriteOncePod and ReadWriteMany stay open.
    expect(claimOf(typos)).toMatchObject({ ReadWriteOncePod: "unclaimed", ReadWriteMany: "unclaimed" });
    // Timeouts are matched in any case (upstream decodes them with encoding/json): podstart 6m counts.
    expect(typos.timeoutScale.factor).toBe(1.2);
  });

  it("reads JSON, as upstream does, and takes RequiredAccessModes as what every volume is provisioned with", async () => {
    const shared = await loadTestDriver(testdata("testdriver-shared.json"));
    expect(shared.storageClass.name).toBe("example-nfs");
    expect(claimOf(shared)).toEqual({
      // RequiredAccessModes without ReadWriteOnce: the file does not say RWO is provisioned.
      ReadWriteOnce: "unclaimed",
      ReadWriteOncePod: "unclaimed",
      ReadWriteMany: "supported",
      ReadOnlyMany: "supported",
    });
    expect(shared.claims.blockModes).toBeUndefined();
    expect(shared.warnings.map((w) => [w.kind, w.path])).toEqual([
      ["not-checked", "DriverInfo.Capabilities.persistence"],
      ["unknown-key", "ShortName"],
    ]);
  });

  it("maps singleNodeVolume to node-local, and RWXBlockOnly to raw block RWX only", () => {
    const local = parseTestDriver(
      "local.yaml",
      "StorageClass: {FromExistingClassName: local}\nDriverInfo:\n  Name: local.csi\n  Capabilities: {singleNodeVolume: true, multipods: yes}\n",
    );
    expect(local.claims.rwoCrossNode).toMatchObject({ claim: "node-local", at: { line: 4, column: 18 } });
    // YAML 1.1, as upstream reads it: yes is true.
    expect(local.claims.modes.ReadWriteOnce.claim).toBe("supported");
    const rwxBlock = parseTestDriver(
      "rwx.yaml",
      "StorageClass: {FromExistingClassName: iscsi}\nDriverInfo:\n  Name: iscsi.csi\n  Capabilities: {block: true, RWXBlockOnly: true}\n",
    );
    expect(rwxBlock.claims.modes.ReadWriteMany.claim).toBe("refused");
    expect(rwxBlock.claims.blockModes?.ReadWriteMany.claim).toBe("supported");
  });

  it("takes a FromFile class from its manifest, relative to the file, never as the cluster's default", async () => {
    const fromFile = await loadTestDriver(testdata("testdriver-fromfile.yaml"));
    expect(fromFile.storageClass).toMatchObject({ name: "example-fast", source: "FromFile" });
    expect(fromFile.storageClass.manifestFile).toMatch(
      /lib\/profile\/testdata\/testdriver-storageclass\.yaml$/,
    );
    expect(fromFile.storageClass.create).toEqual({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "example-fast" },
      provisioner: "block.csi.example.com",
      parameters: { type: "fast" },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    expect(warningsOf(fromFile)).toEqual([
      "lib/profile/testdata/testdriver-fromfile.yaml:8:5: DriverInfo.Capabilities.RWXBlockOnly: amc's own capability, not upstream's: the e2e.test of the Kubernetes release amc pins (v1.36.3) knows only RWX and ignores it; amc claims ReadWriteMany on one volume mode from it",
      "lib/profile/testdata/testdriver-fromfile.yaml:3:3: StorageClass.FromFile: testdriver-storageclass.yaml: annotation storageclass.kubernetes.io/is-default-class left out: the class amc creates never becomes the cluster's default",
    ]);
  });

  it("makes the FromName class upstream would: DriverInfo.Name as provisioner, no parameters", () => {
    const fromName = parseTestDriver(
      "n.yaml",
      "StorageClass: {FromName: true}\nDriverInfo: {Name: Foo.CSI.example.com}\n",
    );
    expect(fromName.storageClass).toMatchObject({
      name: "amc-foo.csi.example.com",
      create: { metadata: { name: "amc-foo.csi.example.com" }, provisioner: "Foo.CSI.example.com" },
    });
  });

  it("says which class source wins when several are set, as upstream takes them", () => {
    const both = parseTestDriver(
      "both.yaml",
      "StorageClass:\n  FromFile: sc.yaml\n  FromExistingClassName: fast\nDriverInfo: {Name: x.csi}\n",
    );
    expect(both.storageClass).toMatchObject({ name: "fast", source: "FromExistingClassName" });
    expect(warningsOf(both)).toEqual([
      "both.yaml:2:3: StorageClass.FromFile: ignored: StorageClass.FromExistingClassName comes first, for upstream as for amc",
    ]);
  });

  it("warns when amc's claims fall outside the driver's size range", () => {
    const big = parseTestDriver(
      "big.yaml",
      "StorageClass: {FromExistingClassName: big}\nDriverInfo:\n  Name: x.csi\n  SupportedSizeRange: {Min: 10Gi}\n",
    );
    expect(big.warnings.filter((w) => w.kind === "note").map((w) => w.message)).toEqual([
      "amc's claims ask for 1Gi, outside the range (10Gi to any): the provisioner may refuse them, which the claims would read as a refused access mode",
    ]);
    const pvc = parse(readFileSync("manifests/pvc.yaml", "utf8")) as {
      spec: { resources: { requests: { storage: string } } };
    };
    expect(pvc.spec.resources.requests.storage).toBe(AMC_CLAIM_SIZE);
  });
});

describe("a test-driver file amc cannot use", () => {
  it("is a usage error when it is missing", async () => {
    expect(await problemsOf(loadTestDriver(testdata("no-such-testdriver.yaml")))).toEqual([
      "lib/profile/testdata/no-such-testdriver.yaml: cannot read the test-driver file: ENOENT",
    ]);
  });

  it("points at invalid YAML", async () => {
    expect(await problemsOf(loadTestDriver(testdata("testdriver-malformed.yaml")))).toEqual([
      "lib/profile/testdata/testdriver-malformed.yaml:6:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("needs a StorageClass source: without one upstream tests nothing amc runs", async () => {
    const [problem] = await problemsOf(loadTestDriver(testdata("testdriver-no-class.yaml")));
    expect(problem).toMatch(
      /^lib\/profile\/testdata\/testdriver-no-class\.yaml:1:1: StorageClass: no class to test: set StorageClass\.FromExistingClassName .*, FromFile .* or FromName: true/,
    );
  });

  it("needs the FromFile manifest, found relative to the file", async () => {
    expect(await problemsOf(loadTestDriver(testdata("testdriver-fromfile-missing.yaml")))).toEqual([
      expect.stringMatching(
        /^lib\/profile\/testdata\/testdriver-fromfile-missing\.yaml:2:3: StorageClass\.FromFile: .*lib\/profile\/testdata\/no-such-storageclass\.yaml: cannot read the StorageClass manifest: ENOENT \(a path relative to lib\/profile\/testdata\/testdriver-fromfile-missing\.yaml, or absolute\)$/,
      ),
    ]);
  });

  it("refuses what upstream cannot decode either, and a driver without a name", () => {
    const problems = (text: string) => {
      try {
        parseTestDriver("bad.yaml", text);
      } catch (error) {
        expect(error).toBeInstanceOf(TestDriverError);
        return (error as TestDriverError).problems;
      }
      return [];
    };
    expect(
      problems("StorageClass: {FromExistingClassName: x}\nDriverInfo:\n  Capabilities: {block: maybe}\n"),
    ).toEqual([
      "bad.yaml:2:1: DriverInfo.Name: missing: the CSI driver's name (upstream refuses the file without it: DriverInfo.Name not set)",
      'bad.yaml:3:18: DriverInfo.Capabilities.block: expected true or false (got "maybe")',
    ]);
    expect(
      problems(
        "StorageClass: {FromExistingClassName: x}\nDriverInfo:\n  Name: x.csi\n  Capabilities: {RWX: true, RWXBlockOnly: true}\n  RequiredAccessModes: [ReadWriteTwice]\n",
      ),
    ).toEqual([
      "bad.yaml:4:29: DriverInfo.Capabilities.RWXBlockOnly: set one of RWX, RWXBlockOnly (RWX for every volume mode, or one of amc's own variants for one mode)",
      "bad.yaml:5:3: DriverInfo.RequiredAccessModes: expected access modes (ReadWriteOnce, ReadWriteOncePod, ReadWriteMany, ReadOnlyMany), got ReadWriteTwice",
    ]);
    expect(problems("- a list\n")).toEqual([
      "bad.yaml:1:1: expected a mapping with StorageClass and DriverInfo (upstream's driverDefinition)",
    ]);
  });
});

describe("Timeouts", () => {
  it("reads Go durations as time.ParseDuration does", () => {
    expect(goDurationMs("5m")).toBe(300_000);
    expect(goDurationMs("1h30m")).toBe(5_400_000);
    expect(goDurationMs("1.5s")).toBe(1500);
    expect(goDurationMs("300ms")).toBe(300);
    expect(goDurationMs("0")).toBe(0);
    expect(goDurationMs("5")).toBeUndefined();
    expect(goDurationMs("5 minutes")).toBeUndefined();
  });

  it("scale amc's waits by the largest ratio to upstream's defaults among the waits amc has, never below 1", () => {
    expect(timeoutScaleOf({ PodStart: 600_000, ClaimProvision: 450_000 })).toEqual({
      factor: 2,
      because: "PodStart 10m is 2x upstream's 5m (a pod admitted and running)",
    });
    expect(timeoutScaleOf({ PVDelete: 900_000 }).factor).toBe(3);
    // Shorter than upstream's: amc keeps its own; waits amc does not have scale nothing.
    expect(timeoutScaleOf({ PodStart: 60_000 })).toEqual({ factor: 1 });
    expect(timeoutScaleOf({ SnapshotCreate: 3_600_000, Poll: 60_000 })).toEqual({ factor: 1 });
  });

  it("are all ignored, as upstream ignores them, when one is not a duration", () => {
    const bad = parseTestDriver(
      "t.yaml",
      "StorageClass: {FromExistingClassName: x}\nDriverInfo: {Name: x.csi}\nTimeouts:\n  PodStart: 20m\n  PVDelete: ten minutes\n",
    );
    expect(bad.timeoutScale).toEqual({ factor: 1 });
    expect(warningsOf(bad)).toEqual([
      't.yaml:5:3: Timeouts.PVDelete: "ten minutes" is not a Go duration: upstream then ignores every Timeouts entry (its defaults apply), and so does amc',
    ]);
  });
});

describe("keys of upstream's v1.36.3 that are not claims", () => {
  it("are named as upstream's, not as unknown: group snapshots, SELinux mounts, the newer stress options, NodeNotReady", () => {
    const parsed = parseTestDriver(
      "newer.yaml",
      [
        "StorageClass: {FromExistingClassName: fast}",
        "GroupSnapshotClass: {FromName: true}",
        "VolumeAttributesClass: {FromExistingClassName: gold}",
        "DriverInfo:",
        "  Name: x.csi",
        "  Capabilities: {groupSnapshot: true, snapshotMetadata: true, seLinuxMount: true}",
        "  VolumeModifyStressTestOptions: {NumPods: 2}",
        "  VolumeGroupSnapshotStressTestOptions: {NumPods: 2, NumSnapshots: 1}",
        "Timeouts: {NodeNotReady: 3m}",
        "",
      ].join("\n"),
    );
    expect(parsed.warnings.filter((w) => w.kind === "unknown-key")).toEqual([]);
  });

  it("takes a key whose entries are all commented out as upstream does: empty", () => {
    const parsed = parseTestDriver(
      "empty.yaml",
      "StorageClass: {FromExistingClassName: fast}\nDriverInfo:\n  Name: x.csi\n  Capabilities:\n    # multipods: true\nTimeouts:\n",
    );
    expect(parsed.timeoutScale.factor).toBe(1);
  });
});
