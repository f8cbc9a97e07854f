import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { type Document, isMap, LineCounter, type Node, parseDocument } from "yaml";
import { UsageError } from "../errors.ts";
import {
  PROFILE_SCHEMA,
  type StorageClassClaims,
  type StoredProfile,
  type VendorProfile,
} from "./profile.ts";

/**
 * Reads a vendor profile (YAML) and checks it against profile.schema.json.
 * Every problem names the file, line and column it is at and what was
 * expected there, the way compilers do, so that an editor can jump to it.
 */

export interface ProfileProblem {
  line: number;
  column: number;
  message: string;
}

/** A profile that cannot be used: exit code 2, one "file:line:column: message" line per problem. */
export class ProfileError extends UsageError {
  override name = "ProfileError";
  readonly file: string;
  readonly problems: ProfileProblem[];
  constructor(file: string, problems: ProfileProblem[]) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join("\n"), "AMC_PROFILE");
    this.file = file;
    this.problems = problems;
  }
}

const schema = JSON.parse(await readFile(new URL("./profile.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
const validate = ajv.compile<VendorProfile>(schema);

/**
 * A profile beside upstream test-driver files (`amc certify --testdriver`):
 * the same schema, but a class needs only its name and the driver may be left
 * out, as the test-driver files make the claims they can (accessModes,
 * rwoCrossNode when they say it, the provisioner) and name the driver.
 */
export type ProfileBeside = Omit<VendorProfile, "driver" | "storageClasses"> & {
  driver?: VendorProfile["driver"];
  storageClasses: (Partial<StorageClassClaims> & { name: string })[];
};
const besideSchema = {
  ...schema,
  $id: "https://access-mode-conformance.invalid/profile-beside-testdriver@1.schema.json",
  required: ["profile", "storageClasses"],
  $defs: { ...schema.$defs, storageClass: { ...schema.$defs.storageClass, required: ["name"] } },
};
const validateBeside = ajv.compile<ProfileBeside>(besideSchema);

export type Path = (string | number)[];

function pathOf(pointer: string): Path {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function nodeAt(doc: Document, path: Path): Node | undefined {
  return (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node | undefined;
}

/** Where a key of a mapping is written (for a field that should not be there). */
function keyNode(doc: Document, path: Path, key: string): Node | undefined {
  const map = nodeAt(doc, path);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
  return (pair?.key as Node | undefined) ?? undefined;
}

const where = (path: Path) =>
  path.length === 0
    ? "the profile"
    : path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
        .join("")
        .slice(1);

const quote = (value: unknown) => JSON.stringify(value);

/** JSON schema's type names in YAML's words. */
const yamlTypes: Record<string, string> = { object: "a mapping", array: "a list", string: "a string" };

/** What was expected, in words, from one schema error (ajv's own words are about the schema, not the file). */
function explain(error: ErrorObject, path: Path): { message: string; key?: string; atParent?: boolean } {
  const field = where(path);
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  const got = error.data === undefined ? "" : ` (got ${quote(error.data)})`;
  switch (error.keyword) {
    case "required": {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const about = (error.parentSchema as { properties?: Record<string, { description?: string }> })
        ?.properties?.[missing]?.description;
      return { message: `${field}: missing "${missing}"${about ? `: ${about}` : ""}` };
    }
    case "additionalProperties": {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return {
        message: `${field}: unknown field "${extra}"; expected one of: ${allowed.join(", ")}`,
        key: extra,
      };
    }
    case "enum":
      return {
        message: `${field}: expected one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}${got}`,
      };
    case "const":
      return {
        message: `${field}: expected ${quote((error.params as { allowedValue: unknown }).allowedValue)}${got}`,
      };
    case "type": {
      const type = (error.params as { type: string }).type;
      return { message: `${field}: expected ${yamlTypes[type] ?? type}${got}` };
    }
    case "pattern":
      return {
        message: `${field}: expected ${description ?? `a value matching ${error.params.pattern}`}${got}`,
      };
    case "minItems":
      return {
        message: `${field}: expected at least ${error.params.limit} item(s): ${description ?? ""}`.trim(),
      };
    case "minProperties": {
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return { message: `${field}: expected at least one of: ${allowed.join(", ")}` };
    }
    case "minLength":
      return { message: `${field}: expected a non-empty string` };
    case "uniqueItems":
      return { message: `${field}: items ${error.params.j} and ${error.params.i} are the same` };
    default:
      return { message: `${field}: ${error.message}` };
  }
}

/**
 * Rules the schema cannot say well: each class once, a handoff budget only
 * where a handoff happens, failover and fencing claims (and a zone failover
 * budget) only for storage that can fail over, and a class with failover
 * budgets says whether it fences. `at` names a class in messages by its index
 * in the file the user wrote (the merged claims of --testdriver keep the
 * profile's fields at other indexes).
 */
export function crossChecks(
  profile: Pick<VendorProfile, "storageClasses">,
  at: (index: number) => number = (i) => i,
): { path: Path; message: string }[] {
  const problems: { path: Path; message: string }[] = [];
  const claimed = (c: StorageClassClaims) =>
    c.rwoCrossNode ? `is claimed ${c.rwoCrossNode}` : "makes no rwoCrossNode claim";
  profile.storageClasses.forEach((c, index) => {
    const i = at(index);
    if (profile.storageClasses.findIndex((other) => other.name === c.name) !== index) {
      problems.push({
        path: ["storageClasses", i, "name"],
        message: `storage class ${c.name} is listed twice`,
      });
    }
    if (c.handoffBudget !== undefined && c.rwoCrossNode !== "attach-exclusive") {
      problems.push({
        path: ["storageClasses", i, "handoffBudget"],
        message: `storageClasses[${i}].handoffBudget: only attach-exclusive storage hands a volume over between nodes; ${c.name} ${claimed(c)}`,
      });
    }
    for (const key of ["failover", "fencing"] as const) {
      if (c[key] !== undefined && c.rwoCrossNode === "node-local") {
        problems.push({
          path: ["storageClasses", i, key],
          message: `storageClasses[${i}].${key}: node-local storage never fails over (its volume exists on the failed node only, a finding the node-failure scenarios report); ${c.name} is claimed node-local`,
        });
      }
    }
    if (c.zoneFailover !== undefined && c.zoneFailover !== "none" && c.rwoCrossNode === "node-local") {
      problems.push({
        path: ["storageClasses", i, "zoneFailover"],
        message: `storageClasses[${i}].zoneFailover: node-local storage never fails over to another zone (its volume exists on one node only): claim none; ${c.name} is claimed node-local`,
      });
    }
    if (c.failover !== undefined && c.fencing === undefined && c.rwoCrossNode !== "node-local") {
      problems.push({
        path: ["storageClasses", i, "failover"],
        message: `storageClasses[${i}]: ${c.name} claims failover budgets: say whether a failed node is fenced, fencing: required or not-required`,
      });
    }
  });
  return problems;
}

/** A profile's text parsed and checked against a schema, with where each of its fields is written. */
interface Parsed<T> {
  data: T;
  /** Where the field at `path` is written (its key's value), for problems found later. */
  positionOf: (path: Path) => { line: number; column: number } | undefined;
}

function parseWith<T>(file: string, text: string, check: typeof validate | typeof validateBeside): Parsed<T> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new ProfileError(
      file,
      doc.errors.map((e) => ({ ...position(e.pos[0]), message: `not valid YAML: ${e.message}` })),
    );
  }
  const data = doc.toJS() as unknown;
  if (!check(data)) {
    const problems = (check.errors ?? []).map((error) => {
      const path = pathOf(error.instancePath);
      const { message, key } = explain(error, path);
      const node = (key ? keyNode(doc, path, key) : undefined) ?? nodeAt(doc, path);
      return { ...position(node?.range?.[0]), message };
    });
    throw new ProfileError(file, dedupe(problems));
  }
  const positionOf = (path: Path) => {
    const node = nodeAt(doc, path);
    return node?.range ? position(node.range[0]) : undefined;
  };
  return { data: data as T, positionOf };
}

/** Parses and validates a profile's text; `file` is only used to name the problems. */
export function parseProfile(file: string, text: string): VendorProfile {
  const { data, positionOf } = parseWith<VendorProfile>(file, text, validate);
  const semantic = crossChecks(data);
  if (semantic.length > 0) {
    throw new ProfileError(
      file,
      semantic.map((p) => ({ ...(positionOf(p.path) ?? { line: 1, column: 1 }), message: p.message })),
    );
  }
  return data;
}

/**
 * Parses a profile written to go beside test-driver files: each class needs
 * only its name. The rules between claims (crossChecks) wait for the merge
 * with the files' claims (testdriver-merge.ts), which uses `positionOf`.
 */
export function parseProfileBeside(file: string, text: string): Parsed<ProfileBeside> {
  return parseWith<ProfileBeside>(file, text, validateBeside);
}

function dedupe(problems: ProfileProblem[]): ProfileProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.line}:${p.column}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/** A file's bytes; a missing or unreadable file is a usage error. `what`: "the profile", "the test-driver file". */
export async function readInputFile(file: string, what: string): Promise<Buffer> {
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${file}: cannot read ${what}: ${error.code ?? error.message}`);
  });
}

export const sha256Of = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/**
 * A stored profile (a run's records/<run>/profile.json, or the claims `amc
 * certify --testdriver` merged and hands its run through AMC_PROFILE) is
 * taken as it is, as its run would read it (run-profile.ts): its claims were
 * checked when it was made. Anything else is read as a profile file.
 */
function storedProfileIn(text: string): StoredProfile | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const data = JSON.parse(text) as Partial<StoredProfile> | null;
    const stored =
      typeof data?.file === "string" &&
      typeof data.sha256 === "string" &&
      typeof data.profile === "object" &&
      data.profile?.profile === PROFILE_SCHEMA;
    return stored ? (data as StoredProfile) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a profile file (or a stored profile); a missing or unreadable file is a usage error too. */
export async function loadProfile(file: string): Promise<StoredProfile> {
  const bytes = await readInputFile(file, "the profile");
  const text = bytes.toString("utf8");
  const stored = storedProfileIn(text);
  if (stored) return stored;
  return { file, sha256: sha256Of(bytes), profile: parseProfile(file, text) };
}

/** Where a class's name is written in the profile, for errors about that class found later (on the cluster). */
export function classNamePosition(text: string, index: number): { line: number; column: number } | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const node = doc.getIn(["storageClasses", index, "name"], true) as Node | undefined;
  if (!node?.range) return undefined;
  const { line, col } = lineCounter.linePos(node.range[0]);
  return { line, column: col };
}
