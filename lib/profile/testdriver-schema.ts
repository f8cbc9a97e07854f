import { isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { upstreamTimeouts } from "./testdriver-timeouts.ts";

/**
 * The keys of upstream's test-driver file, as amc knows them (Kubernetes
 * v1.36: `driverDefinition` in test/e2e/storage/external/external.go,
 * `DriverInfo` and the Capability constants in
 * test/e2e/storage/framework/testdriver.go, `TimeoutContext` in
 * test/e2e/framework/timeouts.go, all checked against v1.36.3's source);
 * RWXFilesystemOnly and RWXBlockOnly are amc's own (upstream v1.36.3 has only
 * RWX, and ignores them: testdriver.ts notes it where they are set),
 * and what amc does with each.
 *
 * Upstream decodes the file without checking for unknown fields (the README
 * says so: "beware of typos"), and since Kubernetes 1.23 matches field names
 * case-sensitively: a misspelt or miscased key is dropped without a word, and
 * with it the claim it was meant to make. So amc names every key it does not
 * know, with where it is, and every key it knows but checks nothing of.
 */

/** What amc makes of a key. */
export type KeyUse =
  /** A claim, the class, the driver's name or the timeouts: see testdriver.ts. */
  | { use: "mapped" }
  /** Upstream's, but amc checks nothing it says: `what` it is for upstream, and why amc does not need it. */
  | { use: "not-checked"; what: string }
  /** A field inside a part amc does not check: the part's own key carries the warning. */
  | { use: "inside" };

export type Shape =
  | { kind: "value" }
  /** A Go struct: field names matched exactly. */
  | { kind: "struct"; fields: Record<string, Key> }
  /** A Go map with known keys: Capabilities (matched exactly), Timeouts (encoding/json: any case). */
  | { kind: "map"; keys: Record<string, Key>; anyCase: boolean }
  /** A map whose keys are the user's (NodeSelectors, volume attributes, sets of strings). */
  | { kind: "free-map" }
  | { kind: "list"; item: Shape };

export interface Key {
  shape: Shape;
  use: KeyUse;
}

const mapped: KeyUse = { use: "mapped" };
const notChecked = (what: string): KeyUse => ({ use: "not-checked", what });
const value = (use: KeyUse): Key => ({ shape: { kind: "value" }, use });
const struct = (use: KeyUse, fields: Record<string, Key>): Key => ({
  shape: { kind: "struct", fields },
  use,
});
const freeMap = (use: KeyUse): Key => ({ shape: { kind: "free-map" }, use });

const inside: KeyUse = { use: "inside" };

const classSource = (what: string): Key =>
  struct(notChecked(what), {
    FromName: value(inside),
    FromFile: value(inside),
    FromExistingClassName: value(inside),
  });

/** Each capability: whether amc maps it to a claim, or what it is for upstream. */
export const capabilities: Record<string, Key> = {
  block: value(mapped),
  multipods: value(mapped),
  RWX: value(mapped),
  RWXFilesystemOnly: value(mapped),
  RWXBlockOnly: value(mapped),
  readWriteOncePod: value(mapped),
  capReadOnlyMany: value(mapped),
  singleNodeVolume: value(mapped),
  topology: value(
    notChecked(
      "provisioned volumes are confined to TopologyKeys; recorded, not checked: what a second node or another zone meets is what rwoCrossNode and zoneFailover claim",
    ),
  ),
  persistence: value(notChecked("data outlives the pod that wrote it")),
  fsGroup: value(notChecked("volume ownership set by fsGroup")),
  volumeMountGroup: value(notChecked("the driver applies fsGroup itself (VolumeMountGroup)")),
  exec: value(notChecked("a file on the volume can be executed")),
  snapshotDataSource: value(notChecked("volumes restored from snapshots")),
  pvcDataSource: value(notChecked("volumes cloned from claims")),
  snapshotMetadata: value(notChecked("the snapshot metadata service (changed blocks)")),
  groupSnapshot: value(notChecked("volume group snapshots")),
  seLinuxMount: value(notChecked("volumes mounted with the pod's SELinux context")),
  controllerExpansion: value(notChecked("volume expansion by the controller")),
  nodeExpansion: value(notChecked("volume expansion on the node")),
  offlineExpansion: value(notChecked("expansion of a volume no pod uses")),
  onlineExpansion: value(notChecked("expansion of a volume in use")),
  volumeLimits: value(notChecked("the number of volumes a node can attach")),
  capacity: value(notChecked("storage capacity published for scheduling")),
  FSResizeFromSourceNotSupported: value(notChecked("no file system resize of a cloned or restored volume")),
  multiplePVsSameID: value(notChecked("two PersistentVolumes with one volume handle")),
};

const timeouts: Record<string, Key> = Object.fromEntries(
  Object.entries(upstreamTimeouts).map(([key, t]) => [
    key,
    value(t.notUsed ? notChecked(t.notUsed) : mapped),
  ]),
);

/** The whole file. */
export const testDriverSchema: Shape = {
  kind: "struct",
  fields: {
    StorageClass: struct(mapped, {
      FromName: value(mapped),
      FromFile: value(mapped),
      FromExistingClassName: value(mapped),
    }),
    SnapshotClass: classSource("snapshot tests; amc takes no snapshot"),
    VolumeAttributesClass: struct(notChecked("volume modification tests; amc modifies no volume"), {
      FromFile: value(inside),
      FromExistingClassName: value(inside),
    }),
    GroupSnapshotClass: classSource("volume group snapshot tests; amc takes no snapshot"),
    InlineVolumes: {
      shape: {
        kind: "list",
        item: {
          kind: "struct",
          fields: { Attributes: freeMap(inside), Shared: value(inside), ReadOnly: value(inside) },
        },
      },
      use: notChecked("CSI inline ephemeral volumes; amc tests PersistentVolumeClaims"),
    },
    ClientNodeName: value(notChecked("the node test pods run on; amc places its pods itself (AMC_NODES)")),
    NodeSelectors: freeMap(notChecked("where test pods run; amc places its pods itself (AMC_NODES)")),
    Timeouts: { shape: { kind: "map", keys: timeouts, anyCase: true }, use: mapped },
    DriverInfo: struct(mapped, {
      Name: value(mapped),
      InTreePluginName: value(notChecked("an in-tree plugin's name")),
      TestTags: value(notChecked("tags of upstream's test names")),
      MaxFileSize: value(notChecked("the largest file upstream writes")),
      SupportedSizeRange: struct(notChecked("the sizes upstream's claims ask for"), {
        Min: value(inside),
        Max: value(inside),
      }),
      SupportedFsType: freeMap(notChecked("file system types upstream formats volumes with")),
      SupportedMountOption: freeMap(notChecked("mount options upstream tests")),
      RequiredMountOption: freeMap(notChecked("mount options upstream's classes need")),
      Capabilities: { shape: { kind: "map", keys: capabilities, anyCase: false }, use: mapped },
      RequiredAccessModes: { shape: { kind: "list", item: { kind: "value" } }, use: mapped },
      TopologyKeys: {
        shape: { kind: "list", item: { kind: "value" } },
        use: notChecked("the topology keys of provisioned volumes; recorded, not checked (see topology)"),
      },
      NumAllowedTopologies: value(notChecked("how many topologies a volume needs")),
      StressTestOptions: struct(notChecked("stress tests"), {
        NumPods: value(inside),
        NumRestarts: value(inside),
      }),
      VolumeSnapshotStressTestOptions: struct(notChecked("snapshot stress tests"), {
        NumPods: value(inside),
        NumSnapshots: value(inside),
      }),
      VolumeModifyStressTestOptions: struct(notChecked("volume modification stress tests"), {
        NumPods: value(inside),
      }),
      VolumeGroupSnapshotStressTestOptions: struct(notChecked("volume group snapshot stress tests"), {
        NumPods: value(inside),
        NumSnapshots: value(inside),
      }),
      PerformanceTestOptions: struct(notChecked("performance tests"), {
        ProvisioningOptions: struct(inside, {
          VolumeSize: value(inside),
          Count: value(inside),
          ExpectedMetrics: struct(inside, { AvgLatency: value(inside), Throughput: value(inside) }),
        }),
      }),
    }),
  },
};

export interface TestDriverWarning {
  /** unknown-key: upstream ignores it silently; not-checked: upstream's key, amc checks nothing it says; note: anything else worth knowing. */
  kind: "unknown-key" | "not-checked" | "note";
  /** Where in the file: "DriverInfo.Capabilities.exec", "InlineVolumes[0].shared". */
  path: string;
  line: number;
  column: number;
  message: string;
}

/** The length of the shortest edit from one string to the other (for "did you mean"). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known key a misspelt or miscased one was most likely meant to be. */
export function closestKey(written: string, known: readonly string[]): string | undefined {
  const lower = written.toLowerCase();
  const ranked = known
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }))
    .filter(({ k, d }) => d <= Math.min(2, Math.floor(k.length / 3)))
    .sort((x, y) => x.d - y.d);
  return ranked[0]?.k;
}

const joinPath = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/**
 * Every key of the document amc does not know, and every one it knows but
 * does not check, in the order they are written. Inside a part amc does not
 * check, only unknown keys are named (the part has its own warning).
 */
export function keyWarnings(root: Node | null | undefined, lineCounter: LineCounter): TestDriverWarning[] {
  const warnings: TestDriverWarning[] = [];
  const at = (node: Node | null | undefined) => {
    const { line, col } = lineCounter.linePos(node?.range?.[0] ?? 0);
    return { line, column: col };
  };
  const visit = (node: Node | null | undefined, shape: Shape, path: string) => {
    if (shape.kind === "list") {
      if (isSeq(node)) {
        for (const [i, item] of node.items.entries()) visit(item as Node, shape.item, joinPath(path, i));
      }
      return;
    }
    if ((shape.kind !== "struct" && shape.kind !== "map") || !isMap(node)) return;
    const known = shape.kind === "struct" ? shape.fields : shape.keys;
    const anyCase = shape.kind === "map" && shape.anyCase;
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const written = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const name = anyCase
        ? Object.keys(known).find((k) => k.toLowerCase() === written.toLowerCase())
        : Object.hasOwn(known, written)
          ? written
          : undefined;
      const keyPath = joinPath(path, written);
      const key = name === undefined ? undefined : known[name];
      if (!key) {
        const guess = closestKey(written, Object.keys(known));
        const hint = guess
          ? guess.toLowerCase() === written.toLowerCase()
            ? ` (did you mean ${guess}? upstream matches keys exactly, case included)`
            : ` (did you mean ${guess}?)`
          : "";
        warnings.push({
          kind: "unknown-key",
          path: keyPath,
          ...at(keyNode),
          message: `unknown key: upstream ignores it without a word, and so does amc${hint}`,
        });
        continue;
      }
      if (key.use.use === "not-checked") {
        warnings.push({
          kind: "not-checked",
          path: keyPath,
          ...at(keyNode),
          message: `upstream's key, not checked by amc: ${key.use.what}`,
        });
      }
      visit(pair.value as Node, key.shape, keyPath);
    }
  };
  visit(root, testDriverSchema, "");
  return warnings;
}
