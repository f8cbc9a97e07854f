import type { ClaimSource } from "../report/document.ts";
import type { AccessMode, FailoverPath, ScenarioId } from "../scenario/types.ts";

/**
 * A vendor profile: what a storage vendor claims about its storage classes'
 * access modes (profile.schema.json describes the YAML form). `amc certify`
 * checks every claim against a run's verdicts (claims.ts).
 */

export const PROFILE_SCHEMA = "access-mode-conformance/profile@1";

export const accessModes: readonly AccessMode[] = [
  "ReadWriteOnce",
  "ReadWriteOncePod",
  "ReadWriteMany",
  "ReadOnlyMany",
];

/**
 * Modes a class that does not list them makes no claim about: the suite's
 * ReadOnlyMany volume is filled through a ReadWriteOnce claim and re-bound,
 * never provisioned as ReadOnlyMany, so no refusal by the provisioner can
 * show (lib/scenario/steps/seed.ts).
 */
export const claimedOnlyWhenListed: readonly AccessMode[] = ["ReadOnlyMany"];

/** What keeps a second pod on another node away from a ReadWriteOnce volume, as claimed. */
export type RwoCrossNode = "attach-exclusive" | "node-local" | "not-enforced";

export interface StorageClassClaims {
  name: string;
  /** The StorageClass's provisioner, when the vendor names it. */
  provisioner?: string;
  /** The modes the class supports; the others are claimed to be refused by the provisioner. */
  accessModes: AccessMode[];
  /**
   * The modes the class supports for raw block volumes (volumeMode Block);
   * the others are claimed to be refused. Absent: no claim about raw block.
   */
  blockAccessModes?: BlockAccessMode[];
  /**
   * Required in a profile file (the schema says so). Absent only when the
   * claims come from an upstream test-driver file that cannot say it and no
   * profile beside it does (testdriver-merge.ts): no claim, reported not checked.
   */
  rwoCrossNode?: RwoCrossNode;
  /**
   * Claims the class leaves open, each with why: only from a test-driver file
   * whose capability is unset (upstream then skips its tests, which claims
   * neither support nor refusal) when no profile beside it says. Reported not
   * checked rather than guessed. A profile file never has it (the schema has no such field).
   */
  unclaimed?: UnclaimedClaims;
  /** As written ("30s"); durationMs() reads it. */
  handoffBudget?: string;
  /**
   * Per operator path, how long the workload may take from its node's failure
   * to writing on another node, as written ("90s", "8m"). Only for storage
   * that can fail over (not node-local): every fault mode's result must meet it.
   */
  failover?: FailoverBudgets;
  /** required: once the volume moved, the failed node writes nothing more; not-required: no such claim. */
  fencing?: Fencing;
  /** Which rollouts of a workload holding a claim of the class complete, and which stall. */
  rollout?: RolloutClaims;
  /** What a pod can do with a ReadOnlyMany volume, mounted readOnly or not. */
  readOnlyMany?: ReadOnlyManyClaims;
  /**
   * When the zone of a workload's node goes down: "none", it does not fail
   * over to another zone (its volume stays in its zone, or on its node); a
   * duration as written ("90s", "2m"), its replacement runs in another zone
   * within that time of the holder's deletion.
   */
  zoneFailover?: ZoneFailover;
}

/** The access modes a raw block volume can ask for. */
export type BlockAccessMode = Exclude<AccessMode, "ReadOnlyMany">;

/** Why each open claim is open: see StorageClassClaims.unclaimed. */
export interface UnclaimedClaims {
  accessModes?: Partial<Record<AccessMode, string>>;
  blockAccessModes?: Partial<Record<BlockAccessMode, string>>;
  rwoCrossNode?: string;
}

/** "none", or a duration as written ("90s"): see StorageClassClaims.zoneFailover. */
export type ZoneFailover = "none" | (string & {});

/**
 * readOnly: a pod that mounts the claim readOnly cannot write (enforced) or
 * can (ignored); withoutReadOnly: a pod that does not ask for readOnly can
 * write (writable: Kubernetes' documented behaviour) or cannot (read-only:
 * the class mounts ReadOnlyMany volumes read-only itself).
 */
export interface ReadOnlyManyClaims {
  readOnly?: "enforced" | "ignored";
  withoutReadOnly?: "writable" | "read-only";
}

/** A rollout claim: the rollout completes, or stalls (its new pod kept from the volume). */
export type RolloutBehaviour = "completes" | "stalls";

/**
 * Per update strategy: rollingUpdate, noSurge and recreate move a
 * Deployment's pod (RWO claim) to another node; rwopRollingUpdate and
 * rwopRecreate update one on an RWOP claim on the same node;
 * statefulSetMove moves a StatefulSet's pod (RWO claim) to another node.
 */
export type RolloutClaims = Partial<Record<RolloutClaimKey, RolloutBehaviour>>;

export const rolloutClaimScenarios = {
  rollingUpdate: "rwo-rollout",
  noSurge: "rwo-rollout-no-surge",
  recreate: "rwo-rollout-recreate",
  rwopRollingUpdate: "rwop-rollout",
  rwopRecreate: "rwop-rollout-recreate",
  statefulSetMove: "rwo-statefulset-reschedule",
} as const satisfies Record<string, ScenarioId>;

export type RolloutClaimKey = keyof typeof rolloutClaimScenarios;

export type FailoverBudgets = Partial<Record<FailoverPath, string>>;

export type Fencing = "required" | "not-required";

/** The paths of a failover claim, in the order they are checked and reported. */
export const failoverPaths: readonly FailoverPath[] = ["none", "force-delete", "out-of-service"];

export interface VendorProfile {
  profile: typeof PROFILE_SCHEMA;
  driver: { name: string; vendor?: string; version?: string };
  storageClasses: StorageClassClaims[];
}

/**
 * The profile of a run as stored next to its records: the file it came from
 * and its exact bytes' digest. `amc certify --testdriver` stores the claims
 * it merged from upstream test-driver files (and a profile beside them):
 * `file` and `sha256` are then the profile's when there is one, else the
 * first test-driver file's, and `sources` lists every file.
 */
export interface StoredProfile {
  file: string;
  sha256: string;
  profile: VendorProfile;
  /** Every file the claims were read from, in order (the profile first): only with --testdriver. */
  sources?: ClaimSource[];
  /** What reading the test-driver files warned about, one line each ("file:line:column: key: why"). */
  warnings?: string[];
  /**
   * The StorageClasses the run creates for test-driver files (StorageClass.FromFile,
   * FromName) and removes after: testdriver-storage-class.ts.
   */
  storageClassesToCreate?: TestDriverStorageClass[];
}

/** A StorageClass a test-driver file asks the run to create, as amc will create it (without the run's labels). */
export interface TestDriverStorageClass {
  /** The test-driver file, and where in it (StorageClass.FromFile: the manifest's path). */
  from: string;
  manifest: StorageClassManifest;
}

/** The fields of a StorageClass amc creates: a plain object, as the API takes it. */
export interface StorageClassManifest {
  apiVersion: "storage.k8s.io/v1";
  kind: "StorageClass";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
  mountOptions?: string[];
  allowedTopologies?: unknown[];
}

const unitMs = { ms: 1, s: 1000, m: 60_000 } as const;

/** "30s" -> 30000; the schema's pattern guarantees the form. */
export function durationMs(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}
