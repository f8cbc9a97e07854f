import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, LineCounter, type Node, parseAllDocuments, parseDocument } from "yaml";
import { UsageError } from "../errors.ts";
import type { AccessMode } from "../scenario/types.ts";
import { readInputFile, sha256Of } from "./load-profile.ts";
import { accessModes, type BlockAccessMode, type StorageClassManifest } from "./profile.ts";
import { keyWarnings, type TestDriverWarning } from "./testdriver-schema.ts";
import { goDurationMs, type TimeoutScale, timeoutKey, timeoutScaleOf } from "./testdriver-timeouts.ts";

/**
 * Upstream's test-driver file (`e2e.test -storage.testdriver=FILE`: the
 * `driverDefinition` of test/e2e/storage/external/external.go), read and
 * mapped to the claims amc checks, as far as the file can say them.
 *
 * Upstream's capabilities are opt-ins for its tests: true runs them, false or
 * absent skips them. So a capability claims support when true and nothing
 * otherwise (amc reports such a mode not checked, and a profile beside the
 * file can claim its refusal); only RWXFilesystemOnly and RWXBlockOnly say,
 * in their names, what is not supported. What keeps a second node off a
 * ReadWriteOnce volume only `singleNodeVolume` says (node-local): whether
 * other storage is attach-exclusive or does not enforce RWO at all, no key
 * says, and amc does not guess.
 *
 * Parsing and mapping are pure (parseTestDriver, storageClassFromManifest);
 * loadTestDriver reads the file and its StorageClass manifest.
 */

export interface Position {
  line: number;
  column: number;
}

/**
 * What the file says of one access mode. `because`: the key that says it
 * (written at `at`); for an open claim, a sentence naming the file.
 */
export type ModeClaim =
  | { claim: "supported" | "refused"; because: string; at: Position }
  | { claim: "unclaimed"; because: string };

export interface TestDriverClaims {
  provisioner: { value: string; at: Position };
  modes: Record<AccessMode, ModeClaim>;
  /** Absent: the file does not set `block`, and claims nothing about raw block volumes. */
  blockModes?: Record<BlockAccessMode, ModeClaim>;
  rwoCrossNode:
    | { claim: "node-local"; because: string; at: Position }
    | { claim: "unclaimed"; because: string };
}

export type ClassSource = "FromExistingClassName" | "FromName" | "FromFile";

export interface TestDriverClass {
  /** The class the run certifies. FromFile: set once the manifest is read (loadTestDriver). */
  name: string;
  source: ClassSource;
  /** Where the source's key is written. */
  at: Position;
  /** FromFile: the manifest, resolved against the test-driver file's directory. */
  manifestFile?: string;
  /** FromName, FromFile: the StorageClass the run creates, without its labels, and removes after. */
  create?: StorageClassManifest;
}

export interface TestDriverMapping {
  file: string;
  sha256: string;
  /** DriverInfo.Name. */
  driverName: string;
  storageClass: TestDriverClass;
  claims: TestDriverClaims;
  /** DriverInfo.TopologyKeys: recorded, not checked. */
  topologyKeys: string[];
  /** From Timeouts: see testdriver-timeouts.ts. */
  timeoutScale: TimeoutScale;
  warnings: TestDriverWarning[];
}

/** A test-driver file (or its StorageClass manifest) amc cannot use: exit code 2, one "file:line:column: message" line per problem. */
export class TestDriverError extends UsageError {
  override name = "TestDriverError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("\n"), "AMC_PROFILE");
    this.problems = problems;
  }
}

/** "file:line:column: path: message", the form of every warning and problem. */
export function warningText(file: string, w: TestDriverWarning): string {
  return `${file}:${w.line}:${w.column}: ${w.path}: ${w.message}`;
}

/** The size of amc's claims (manifests/pvc.yaml; a test checks they agree), for SupportedSizeRange. */
export const AMC_CLAIM_SIZE = "1Gi";

const quantityUnits: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** A Kubernetes quantity ("5Gi", "500M") in bytes; undefined when it is not one amc reads. */
export function quantityBytes(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (quantityUnits[match[2] ?? ""] as number);
}

/** A StorageClass name from a driver's name: a DNS subdomain, lowercase. */
export function classNameFor(driverName: string): string {
  const name = `amc-${driverName}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .slice(0, 253);
  return name.replace(/[^a-z0-9]+$/, "");
}

type Data = Record<string, unknown>;
const isRecord = (v: unknown): v is Data => typeof v === "object" && v !== null && !Array.isArray(v);

/** The file's text parsed (YAML 1.1, as upstream's decoder reads it), with positions. */
function parseYaml(file: string, text: string) {
  const lineCounter = new LineCounter();
  // YAML 1.1, as sigs.k8s.io/yaml reads it upstream: `yes` and `on` are true there too. JSON is YAML.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: "1.1" });
  const position = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new TestDriverError(
      doc.errors.map((e) => {
        const at = position(e.pos[0]);
        return `${file}:${at.line}:${at.column}: not valid YAML: ${e.message}`;
      }),
    );
  }
  return { doc, lineCounter, position };
}

/**
 * Parses a test-driver file and maps it to claims. A FromFile class gets its
 * name and manifest from storageClassFromManifest (loadTestDriver does both).
 */
export function parseTestDriver(file: string, text: string): TestDriverMapping {
  const { doc, lineCounter, position } = parseYaml(file, text);
  const data = doc.toJS() as unknown;
  const problems: string[] = [];
  /** Where a key is written (the key itself: where a reader looks); a missing one: its nearest parent. */
  const keyAt = (path: (string | number)[]): Position => {
    for (let depth = path.length; depth > 0; depth--) {
      const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
      const key = path[depth - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (pair) return position((pair.key as Node).range?.[0]);
      }
      const item = doc.getIn(path.slice(0, depth), true) as Node | undefined;
      if (typeof key === "number" && item?.range) return position(item.range[0]);
    }
    return { line: 1, column: 1 };
  };
  const problem = (path: (string | number)[], message: string) => {
    const at = keyAt(path);
    problems.push(`${file}:${at.line}:${at.column}: ${path.join(".")}: ${message}`);
  };
  if (!isRecord(data)) {
    throw new TestDriverError([
      `${file}:1:1: expected a mapping with StorageClass and DriverInfo (upstream's driverDefinition)`,
    ]);
  }
  const warnings = keyWarnings(doc.contents as Node, lineCounter);
  const note = (path: (string | number)[], message: string) =>
    warnings.push({ kind: "note", path: path.join("."), ...keyAt(path), message });

  const info = isRecord(data.DriverInfo) ? data.DriverInfo : {};
  const driverName = typeof info.Name === "string" ? info.Name : "";
  if (driverName === "") {
    problem(
      data.DriverInfo === undefined ? ["DriverInfo"] : ["DriverInfo", "Name"],
      "missing: the CSI driver's name (upstream refuses the file without it: DriverInfo.Name not set)",
    );
  }
  const caps = readCapabilities(info, problem);
  const required = readRequiredModes(info, problem);
  const topologyKeys = readStrings(info, "TopologyKeys", problem);
  const storageClass = readClassSource(data, driverName, problem, note, keyAt);
  const timeoutScale = readTimeouts(data, problem, note);
  checkSizeRange(info, note);
  if (problems.length > 0) throw new TestDriverError(problems);

  const capAt = (name: string) => keyAt(["DriverInfo", "Capabilities", name]);
  const requiredAt = (mode: AccessMode) =>
    keyAt(["DriverInfo", "RequiredAccessModes", (required ?? []).indexOf(mode)]);
  const cap = (name: string, why = "") => ({
    because: `DriverInfo.Capabilities.${name}: true${why}`,
    at: capAt(name),
  });
  const unset = (what: string) => `${file} does not set ${what} (upstream then only skips its tests)`;
  const listed = (mode: AccessMode) =>
    required?.includes(mode)
      ? {
          claim: "supported" as const,
          because: `DriverInfo.RequiredAccessModes lists ${mode}: upstream provisions every volume with it`,
          at: requiredAt(mode),
        }
      : undefined;

  // Filesystem and raw block alike: a second pod on one node, and ReadWriteOncePod.
  const rwo = (): ModeClaim =>
    required !== undefined && !required.includes("ReadWriteOnce")
      ? {
          claim: "unclaimed",
          because: `${file}: DriverInfo.RequiredAccessModes does not list ReadWriteOnce`,
        }
      : required?.includes("ReadWriteOnce")
        ? (listed("ReadWriteOnce") as ModeClaim)
        : caps.multipods
          ? { claim: "supported", ...cap("multipods", ": pods on one node share a volume") }
          : {
              claim: "unclaimed",
              because: unset("DriverInfo.Capabilities.multipods: pods on one node share a volume"),
            };
  const rwop = (): ModeClaim =>
    caps.readWriteOncePod
      ? { claim: "supported", ...cap("readWriteOncePod") }
      : (listed("ReadWriteOncePod") ?? {
          claim: "unclaimed",
          because: unset("DriverInfo.Capabilities.readWriteOncePod"),
        });
  const rwx = (volumeMode: "filesystem" | "block"): ModeClaim => {
    const only = volumeMode === "filesystem" ? "RWXBlockOnly" : "RWXFilesystemOnly";
    const also = volumeMode === "filesystem" ? "RWXFilesystemOnly" : "RWXBlockOnly";
    if (caps.RWX) return { claim: "supported", ...cap("RWX") };
    if (caps[also]) return { claim: "supported", ...cap(also) };
    if (caps[only]) {
      return {
        claim: "refused",
        ...cap(
          only,
          `: ReadWriteMany on ${volumeMode === "filesystem" ? "raw block" : "filesystem"} volumes only`,
        ),
      };
    }
    return (
      listed("ReadWriteMany") ?? {
        claim: "unclaimed",
        because: unset("DriverInfo.Capabilities.RWX"),
      }
    );
  };
  const modes: Record<AccessMode, ModeClaim> = {
    ReadWriteOnce: rwo(),
    ReadWriteOncePod: rwop(),
    ReadWriteMany: rwx("filesystem"),
    ReadOnlyMany: caps.capReadOnlyMany
      ? { claim: "supported", ...cap("capReadOnlyMany") }
      : (listed("ReadOnlyMany") ?? {
          claim: "unclaimed",
          because: unset("DriverInfo.Capabilities.capReadOnlyMany"),
        }),
  };
  for (const variant of ["RWXFilesystemOnly", "RWXBlockOnly"] as const) {
    if (caps[variant]) {
      // Checked against the module's source: v1.36.3's testdriver.go defines only CapRWX.
      note(
        ["DriverInfo", "Capabilities", variant],
        "amc's own capability, not upstream's: the e2e.test of the Kubernetes release amc pins (v1.36.3) knows only RWX and ignores it; amc claims ReadWriteMany on one volume mode from it",
      );
    }
  }
  if (!caps.block && (caps.RWXBlockOnly || caps.RWXFilesystemOnly)) {
    note(
      ["DriverInfo", "Capabilities", caps.RWXBlockOnly ? "RWXBlockOnly" : "RWXFilesystemOnly"],
      "without block: true upstream runs no raw block test, and amc claims nothing about raw block volumes",
    );
  }
  const blockModes = caps.block
    ? { ReadWriteOnce: rwo(), ReadWriteOncePod: rwop(), ReadWriteMany: rwx("block") }
    : undefined;
  const rwoCrossNode: TestDriverClaims["rwoCrossNode"] = caps.singleNodeVolume
    ? { claim: "node-local", ...cap("singleNodeVolume", ": a volume is reachable from one node only") }
    : {
        claim: "unclaimed",
        because: `${file} does not set DriverInfo.Capabilities.singleNodeVolume, the only key of a test-driver file that says what keeps a second node off a ReadWriteOnce volume (node-local); whether other storage is attach-exclusive or does not enforce RWO across nodes, no key says`,
      };

  return {
    file,
    sha256: sha256Of(text),
    driverName,
    storageClass,
    claims: {
      provisioner: { value: driverName, at: keyAt(["DriverInfo", "Name"]) },
      modes,
      ...(blockModes ? { blockModes } : {}),
      rwoCrossNode,
    },
    topologyKeys,
    timeoutScale,
    warnings: warnings.sort((a, b) => a.line - b.line || a.column - b.column),
  };
}

type Problem = (path: (string | number)[], message: string) => void;

/** Capabilities as upstream decodes them: a map of booleans (anything else fails upstream's decoding). */
function readCapabilities(info: Data, problem: Problem): Record<string, boolean> {
  // Go decodes null (a key whose entries are all commented out) as an empty map.
  if (info.Capabilities === undefined || info.Capabilities === null) return {};
  if (!isRecord(info.Capabilities)) {
    problem(["DriverInfo", "Capabilities"], "expected a mapping of capability: true or false");
    return {};
  }
  const caps: Record<string, boolean> = {};
  for (const [name, on] of Object.entries(info.Capabilities)) {
    if (typeof on !== "boolean") {
      problem(["DriverInfo", "Capabilities", name], `expected true or false (got ${JSON.stringify(on)})`);
    } else caps[name] = on;
  }
  const rwx = ["RWX", "RWXFilesystemOnly", "RWXBlockOnly"].filter((name) => caps[name]);
  if (rwx.length > 1) {
    problem(
      ["DriverInfo", "Capabilities", rwx[1] as string],
      `set one of ${rwx.join(", ")} (RWX for every volume mode, or one of amc's own variants for one mode)`,
    );
  }
  return caps;
}

function readStrings(info: Data, key: string, problem: Problem): string[] {
  const list = info[key];
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
    problem(["DriverInfo", key], "expected a list of strings");
    return [];
  }
  return list;
}

function readRequiredModes(info: Data, problem: Problem): AccessMode[] | undefined {
  if (info.RequiredAccessModes === undefined) return undefined;
  const modes = readStrings(info, "RequiredAccessModes", problem);
  const unknown = modes.filter((m) => !accessModes.includes(m as AccessMode));
  if (unknown.length > 0) {
    problem(
      ["DriverInfo", "RequiredAccessModes"],
      `expected access modes (${accessModes.join(", ")}), got ${unknown.join(", ")}`,
    );
  }
  // Upstream's default when the list is empty as well as unset: ReadWriteOnce.
  return modes.length > 0 ? (modes as AccessMode[]) : undefined;
}

/** The class: upstream takes FromName, then FromExistingClassName, then FromFile, and ignores the rest. */
function readClassSource(
  data: Data,
  driverName: string,
  problem: Problem,
  note: Problem,
  keyAt: (path: (string | number)[]) => Position,
): TestDriverClass {
  const source = isRecord(data.StorageClass) ? data.StorageClass : {};
  const types: Record<ClassSource, string> = {
    FromName: "boolean",
    FromExistingClassName: "string",
    FromFile: "string",
  };
  for (const [key, type] of Object.entries(types)) {
    if (source[key] !== undefined && typeof source[key] !== type) {
      problem(["StorageClass", key], `expected ${type === "boolean" ? "true or false" : "a string"}`);
    }
  }
  const set = (Object.keys(types) as ClassSource[]).filter((key) =>
    key === "FromName" ? source.FromName === true : typeof source[key] === "string" && source[key] !== "",
  );
  const chosen = set[0];
  if (!chosen) {
    problem(
      ["StorageClass"],
      "no class to test: set StorageClass.FromExistingClassName (a class the cluster has), FromFile (a StorageClass manifest, relative to this file) or FromName: true (a class with DriverInfo.Name as provisioner and no parameters); without one upstream skips every dynamic provisioning test, and amc has nothing to run",
    );
    return { name: "", source: "FromName", at: { line: 1, column: 1 } };
  }
  for (const ignored of set.slice(1)) {
    note(["StorageClass", ignored], `ignored: StorageClass.${chosen} comes first, for upstream as for amc`);
  }
  const at = keyAt(["StorageClass", chosen]);
  switch (chosen) {
    case "FromExistingClassName":
      return { name: source.FromExistingClassName as string, source: chosen, at };
    case "FromName": {
      const name = classNameFor(driverName);
      return {
        name,
        source: chosen,
        at,
        create: {
          apiVersion: "storage.k8s.io/v1",
          kind: "StorageClass",
          metadata: { name },
          provisioner: driverName,
        },
      };
    }
    case "FromFile":
      return { name: "", source: chosen, at, manifestFile: source.FromFile as string };
  }
}

function readTimeouts(data: Data, problem: Problem, note: Problem): TimeoutScale {
  if (data.Timeouts === undefined || data.Timeouts === null) return { factor: 1 };
  if (!isRecord(data.Timeouts)) {
    problem(["Timeouts"], "expected a mapping of timeout: Go duration (PodStart: 10m)");
    return { factor: 1 };
  }
  const parsed: Record<string, number> = {};
  for (const [written, text] of Object.entries(data.Timeouts)) {
    if (typeof text !== "string") {
      problem(
        ["Timeouts", written],
        `expected a Go duration such as 10m or 1h30m, as a string (got ${JSON.stringify(text)})`,
      );
      continue;
    }
    const ms = goDurationMs(text);
    if (ms === undefined) {
      // upstream's GetTimeouts: one value it cannot parse, and it falls back to every default.
      note(
        ["Timeouts", written],
        `${JSON.stringify(text)} is not a Go duration: upstream then ignores every Timeouts entry (its defaults apply), and so does amc`,
      );
      return { factor: 1 };
    }
    const key = timeoutKey(written);
    if (key) parsed[key] = ms;
  }
  return timeoutScaleOf(parsed);
}

/** amc's claims ask for AMC_CLAIM_SIZE: a driver whose range excludes it refuses them, which would read as a refused mode. */
function checkSizeRange(info: Data, note: Problem): void {
  const range = isRecord(info.SupportedSizeRange) ? info.SupportedSizeRange : {};
  const size = quantityBytes(AMC_CLAIM_SIZE) as number;
  const min = typeof range.Min === "string" ? quantityBytes(range.Min) : undefined;
  const max = typeof range.Max === "string" ? quantityBytes(range.Max) : undefined;
  if ((min !== undefined && min > size) || (max !== undefined && max < size)) {
    note(
      ["DriverInfo", "SupportedSizeRange"],
      `amc's claims ask for ${AMC_CLAIM_SIZE}, outside the range (${range.Min ?? "0"} to ${range.Max ?? "any"}): the provisioner may refuse them, which the claims would read as a refused access mode`,
    );
  }
}

/** Labels and annotations a class amc creates must not carry: it would become the cluster's default class. */
const DEFAULT_CLASS_ANNOTATIONS = [
  "storageclass.kubernetes.io/is-default-class",
  "storageclass.beta.kubernetes.io/is-default-class",
];

/**
 * The StorageClass of a FromFile manifest (`manifestFile`, named as the
 * test-driver file names it, for messages), as the run will create it: the
 * name it has (else one made from the driver's), never the cluster's default.
 * Upstream requires exactly one object, a StorageClass.
 */
export function storageClassFromManifest(
  mapping: TestDriverMapping,
  manifestFile: string,
  text: string,
): TestDriverMapping {
  const fail = (message: string): never => {
    throw new TestDriverError([
      `${mapping.file}:${mapping.storageClass.at.line}:${mapping.storageClass.at.column}: StorageClass.FromFile: ${manifestFile}: ${message}`,
    ]);
  };
  const docs = [...parseAllDocuments(text, { version: "1.1" })];
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) fail(`not valid YAML: ${broken.errors[0]?.message}`);
  const objects = docs.filter((d) => d.contents !== null);
  if (objects.length !== 1) fail(`expected exactly one object, a StorageClass (found ${objects.length})`);
  const sc = objects[0]?.toJS() as unknown;
  if (!isRecord(sc) || sc.kind !== "StorageClass" || sc.apiVersion !== "storage.k8s.io/v1") {
    fail("expected a StorageClass (apiVersion: storage.k8s.io/v1, kind: StorageClass)");
  }
  const object = sc as Data;
  if (typeof object.provisioner !== "string" || object.provisioner === "")
    fail("the StorageClass has no provisioner");
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name =
    typeof metadata.name === "string" && metadata.name !== ""
      ? metadata.name
      : classNameFor(mapping.driverName);
  const warnings = [...mapping.warnings];
  const annotations = isRecord(metadata.annotations)
    ? { ...(metadata.annotations as Record<string, string>) }
    : {};
  for (const key of DEFAULT_CLASS_ANNOTATIONS) {
    if (key in annotations) {
      delete annotations[key];
      warnings.push({
        kind: "note",
        path: "StorageClass.FromFile",
        ...mapping.storageClass.at,
        message: `${manifestFile}: annotation ${key} left out: the class amc creates never becomes the cluster's default`,
      });
    }
  }
  if (object.provisioner !== mapping.driverName) {
    warnings.push({
      kind: "note",
      path: "StorageClass.FromFile",
      ...mapping.storageClass.at,
      message: `${manifestFile}: provisioner ${object.provisioner} is not DriverInfo.Name (${mapping.driverName}), which amc claims as the class's provisioner: that claim will be broken`,
    });
  }
  const pick = (key: string) => (object[key] === undefined ? {} : { [key]: object[key] });
  const manifest: StorageClassManifest = {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      ...(isRecord(metadata.labels) ? { labels: metadata.labels as Record<string, string> } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    provisioner: object.provisioner as string,
    ...pick("parameters"),
    ...pick("reclaimPolicy"),
    ...pick("volumeBindingMode"),
    ...pick("allowVolumeExpansion"),
    ...pick("mountOptions"),
    ...pick("allowedTopologies"),
  };
  return { ...mapping, storageClass: { ...mapping.storageClass, name, create: manifest }, warnings };
}

/**
 * Reads a test-driver file (and its FromFile manifest, relative to the file:
 * upstream resolves it against e2e.test's --repo-root, which amc does not
 * have). A missing file is a usage error.
 */
export async function loadTestDriver(file: string): Promise<TestDriverMapping> {
  const bytes = await readInputFile(file, "the test-driver file");
  const mapping = parseTestDriver(file, bytes.toString("utf8"));
  const manifestFile = mapping.storageClass.manifestFile;
  if (manifestFile === undefined) return mapping;
  const path = isAbsolute(manifestFile) ? manifestFile : resolve(dirname(file), manifestFile);
  const text = await readInputFile(path, "the StorageClass manifest").catch((error: Error) => {
    const at = mapping.storageClass.at;
    throw new TestDriverError([
      `${file}:${at.line}:${at.column}: StorageClass.FromFile: ${error.message} (a path relative to ${file}, or absolute)`,
    ]);
  });
  return storageClassFromManifest(
    { ...mapping, storageClass: { ...mapping.storageClass, manifestFile: path } },
    manifestFile,
    text.toString("utf8"),
  );
}
