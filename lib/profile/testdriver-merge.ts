import type { ClaimSource } from "../report/document.ts";
import type { AccessMode } from "../scenario/types.ts";
import {
  crossChecks,
  type Path,
  type ProfileBeside,
  parseProfileBeside,
  readInputFile,
  sha256Of,
} from "./load-profile.ts";
import {
  accessModes,
  type BlockAccessMode,
  claimedOnlyWhenListed,
  PROFILE_SCHEMA,
  type StorageClassClaims,
  type StoredProfile,
  type UnclaimedClaims,
} from "./profile.ts";
import {
  loadTestDriver,
  type ModeClaim,
  type Position,
  TestDriverError,
  type TestDriverMapping,
  warningText,
} from "./testdriver.ts";
import type { TimeoutScale } from "./testdriver-timeouts.ts";

/**
 * `amc certify --testdriver FILE... [--profile FILE]`: the claims of upstream
 * test-driver files (one class each), merged per class with a profile beside
 * them for what the files cannot say (how RWO behaves across nodes when
 * singleNodeVolume does not say it, a handoff budget, failover and fencing,
 * rollouts, zone failover, and modes a file leaves open).
 *
 * The rule: a claim comes from whichever file makes it. When both make it
 * and agree, it stands; when they disagree, neither wins: the certify run does
 * not start (exit code 2), and every conflict is listed with where each file
 * says it, so that the vendor corrects the one that is wrong. Silently
 * preferring either would certify a claim the vendor also denies.
 */

/** A profile beside test-driver files, parsed, with where its fields are written. */
interface Beside {
  file: string;
  sha256: string;
  profile: ProfileBeside;
  positionOf: (path: Path) => Position | undefined;
}

export interface CertifyInput {
  stored: StoredProfile;
  mappings: TestDriverMapping[];
  /** Every warning, one line each, as printed and stored. */
  warnings: string[];
  /** The largest of the files' factors, and the file that set it. */
  timeoutScale: TimeoutScale & { file?: string };
  /** Where each class is named ("td.yaml:6:3: StorageClass.FromExistingClassName"), for errors the cluster finds later. */
  classNamedAt: Record<string, string>;
}

const where = (file: string, at: Position | undefined) => (at ? `${file}:${at.line}:${at.column}` : file);

type Final = "supported" | "refused" | { unclaimed: string };

/** One mode: the file's claim, the profile's (undefined: the profile says nothing of it), merged, or a conflict. */
function mergeMode(
  mode: AccessMode,
  claim: ModeClaim,
  testDriverFile: string,
  profile: "supported" | "refused" | undefined,
  profileAt: string,
  besideFile: string | undefined,
): Final | { conflict: string } {
  if (claim.claim === "unclaimed") {
    if (profile) return profile;
    return {
      unclaimed: `${claim.because}, and ${besideFile ? `${besideFile} does not list it` : "no --profile says"}`,
    };
  }
  if (profile === undefined || profile === claim.claim) return claim.claim;
  const profileSays =
    profile === "supported"
      ? `lists ${mode} (supported)`
      : `does not list ${mode} (the provisioner refuses it)`;
  return {
    conflict: `${profileAt} ${profileSays}; ${where(testDriverFile, claim.at)}: ${claim.because} (${mode} ${claim.claim})`,
  };
}

/** What a profile's list of modes says of one mode; undefined: nothing (no list, or ReadOnlyMany not listed). */
function profileModeClaim(
  list: readonly string[] | undefined,
  mode: AccessMode,
): "supported" | "refused" | undefined {
  if (list === undefined) return undefined;
  if (list.includes(mode)) return "supported";
  return claimedOnlyWhenListed.includes(mode) ? undefined : "refused";
}

/** The class's claims from its test-driver file and the profile's entry for it; conflicts pushed, not thrown. */
function mergeClass(
  mapping: TestDriverMapping,
  beside: Beside | undefined,
  conflicts: string[],
): StorageClassClaims {
  const name = mapping.storageClass.name;
  const index = beside?.profile.storageClasses.findIndex((c) => c.name === name) ?? -1;
  const p = index >= 0 ? beside?.profile.storageClasses[index] : undefined;
  const at = (...path: Path) =>
    where(beside?.file ?? "", beside?.positionOf(["storageClasses", index, ...path]));
  const field = (key: string) => `${at(key)}: storageClasses[${index}].${key}`;
  const unclaimed: UnclaimedClaims = {};

  const file = mapping.claims;
  if (p?.provisioner !== undefined && p.provisioner !== file.provisioner.value) {
    conflicts.push(
      `${field("provisioner")}: ${p.provisioner} conflicts with ${where(mapping.file, file.provisioner.at)}: DriverInfo.Name: ${file.provisioner.value}`,
    );
  }

  const modeList = (
    modes: readonly AccessMode[],
    fileClaims: Partial<Record<AccessMode, ModeClaim>>,
    profileList: readonly string[] | undefined,
    key: "accessModes" | "blockAccessModes",
  ) => {
    const supported: AccessMode[] = [];
    const open: Partial<Record<AccessMode, string>> = {};
    for (const mode of modes) {
      const claim = fileClaims[mode] as ModeClaim;
      const k = profileList?.indexOf(mode) ?? -1;
      const profileAt = `${k >= 0 ? at(key, k) : at(key)}: storageClasses[${index}].${key}`;
      const merged = mergeMode(
        mode,
        claim,
        mapping.file,
        profileModeClaim(profileList, mode),
        profileAt,
        beside?.file,
      );
      if (typeof merged === "object" && "conflict" in merged) conflicts.push(merged.conflict);
      else if (merged === "supported") supported.push(mode);
      else if (typeof merged === "object") open[mode] = merged.unclaimed;
    }
    return { supported, open };
  };

  const fs = modeList(accessModes, file.modes, p?.accessModes, "accessModes");
  // ReadOnlyMany not listed claims nothing already: it needs no reason to be open.
  delete fs.open.ReadOnlyMany;
  if (Object.keys(fs.open).length > 0) unclaimed.accessModes = fs.open;

  let blockAccessModes: BlockAccessMode[] | undefined = p?.blockAccessModes;
  if (file.blockModes) {
    const blockModes = accessModes.filter((m): m is BlockAccessMode => m !== "ReadOnlyMany");
    const block = modeList(blockModes, file.blockModes, p?.blockAccessModes, "blockAccessModes");
    blockAccessModes = block.supported as BlockAccessMode[];
    if (Object.keys(block.open).length > 0) unclaimed.blockAccessModes = block.open;
  }

  let rwoCrossNode = p?.rwoCrossNode;
  if (file.rwoCrossNode.claim === "node-local") {
    if (rwoCrossNode !== undefined && rwoCrossNode !== "node-local") {
      conflicts.push(
        `${field("rwoCrossNode")}: ${rwoCrossNode} conflicts with ${where(mapping.file, file.rwoCrossNode.at)}: ${file.rwoCrossNode.because} (node-local)`,
      );
    }
    rwoCrossNode = "node-local";
  } else if (rwoCrossNode === undefined) {
    unclaimed.rwoCrossNode = `${file.rwoCrossNode.because}; ${beside ? `${beside.file} does not say it either` : "a --profile beside it can say it"} (rwoCrossNode)`;
  }

  const {
    name: _name,
    provisioner: _provisioner,
    accessModes: _modes,
    blockAccessModes: _block,
    rwoCrossNode: _rwo,
    ...rest
  } = p ?? { name };
  return {
    name,
    provisioner: file.provisioner.value,
    accessModes: fs.supported,
    ...(blockAccessModes ? { blockAccessModes } : {}),
    ...(rwoCrossNode ? { rwoCrossNode } : {}),
    ...rest,
    ...(Object.keys(unclaimed).length > 0 ? { unclaimed } : {}),
  };
}

/**
 * The merged claims of the test-driver files and the profile beside them (pure;
 * loadCertifyInput reads the files). Throws a TestDriverError listing every
 * conflict, and every class the profile names that no file does.
 */
export function mergeClaims(mappings: readonly TestDriverMapping[], beside?: Beside): CertifyInput {
  const problems: string[] = [];
  const byName = new Map<string, TestDriverMapping>();
  for (const m of mappings) {
    const first = byName.get(m.storageClass.name);
    if (first) {
      problems.push(
        `${where(m.file, m.storageClass.at)}: StorageClass.${m.storageClass.source}: class ${m.storageClass.name} is already ${first.file}'s: one test-driver file per class`,
      );
    } else byName.set(m.storageClass.name, m);
  }
  beside?.profile.storageClasses.forEach((c, i) => {
    if (!byName.has(c.name)) {
      problems.push(
        `${where(beside.file, beside.positionOf(["storageClasses", i, "name"]))}: storageClasses[${i}].name: ${c.name} is no test-driver file's class (they name ${[...byName.keys()].join(", ")}): beside test-driver files a profile adds claims to their classes`,
      );
    }
  });
  if (problems.length > 0) throw new TestDriverError(problems);

  const conflicts: string[] = [];
  const classes = [...byName.values()].map((m) => mergeClass(m, beside, conflicts));
  if (conflicts.length > 0) {
    throw new TestDriverError([
      `the test-driver files and ${beside?.file} disagree; neither wins: correct the one that is wrong`,
      ...conflicts,
    ]);
  }
  // The rules between claims (a handoff budget only for attach-exclusive storage, no failover for
  // node-local storage, ...) on the merged claims, pointed at the profile's field that breaks them.
  const profileIndex = (i: number) =>
    beside?.profile.storageClasses.findIndex((c) => c.name === classes[i]?.name) ?? i;
  const broken = crossChecks({ storageClasses: classes }, profileIndex).map((p) => {
    const merged = classes.find((c) => c.name === beside?.profile.storageClasses[p.path[1] as number]?.name);
    const mapping = merged ? byName.get(merged.name) : undefined;
    const fromFile =
      mapping?.claims.rwoCrossNode.claim === "node-local"
        ? ` (node-local by ${where(mapping.file, mapping.claims.rwoCrossNode.at)}: ${mapping.claims.rwoCrossNode.because})`
        : "";
    return `${where(beside?.file ?? "", beside?.positionOf(p.path))}: ${p.message}${fromFile}`;
  });
  if (broken.length > 0) throw new TestDriverError(broken);

  const sources: ClaimSource[] = [
    ...(beside ? [{ file: beside.file, sha256: beside.sha256, kind: "profile" as const }] : []),
    ...mappings.map((m) => ({ file: m.file, sha256: m.sha256, kind: "test-driver" as const })),
  ];
  const first = sources[0] as ClaimSource;
  const warnings = mappings.flatMap((m) => m.warnings.map((w) => warningText(m.file, w)));
  const toCreate = mappings.flatMap((m) =>
    m.storageClass.create
      ? [{ from: `${m.file}: StorageClass.${m.storageClass.source}`, manifest: m.storageClass.create }]
      : [],
  );
  const scale = mappings.reduce<CertifyInput["timeoutScale"]>(
    (max, m) => (m.timeoutScale.factor > max.factor ? { ...m.timeoutScale, file: m.file } : max),
    { factor: 1 },
  );
  return {
    stored: {
      file: first.file,
      sha256: first.sha256,
      profile: {
        profile: PROFILE_SCHEMA,
        driver: beside?.profile.driver ?? {
          name: [...new Set(mappings.map((m) => m.driverName))].join(", "),
        },
        storageClasses: classes,
      },
      sources,
      warnings,
      ...(toCreate.length > 0 ? { storageClassesToCreate: toCreate } : {}),
    },
    mappings: [...mappings],
    warnings,
    timeoutScale: scale,
    classNamedAt: Object.fromEntries(
      mappings.map((m) => [
        m.storageClass.name,
        `${where(m.file, m.storageClass.at)}: StorageClass.${m.storageClass.source}`,
      ]),
    ),
  };
}

/** Reads the test-driver files and the profile beside them (optional), and merges their claims. */
export async function loadCertifyInput(
  testDrivers: readonly string[],
  profileFile?: string,
): Promise<CertifyInput> {
  const mappings = await Promise.all(testDrivers.map(loadTestDriver));
  if (profileFile === undefined) return mergeClaims(mappings);
  const bytes = await readInputFile(profileFile, "the profile");
  const parsed = parseProfileBeside(profileFile, bytes.toString("utf8"));
  return mergeClaims(mappings, {
    file: profileFile,
    sha256: sha256Of(bytes),
    profile: parsed.data,
    positionOf: parsed.positionOf,
  });
}
