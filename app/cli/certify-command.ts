import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InfrastructureError } from "../../lib/errors.ts";
import { classNamePosition, loadProfile, ProfileError } from "../../lib/profile/load-profile.ts";
import type { StoredProfile } from "../../lib/profile/profile.ts";
import { TestDriverError } from "../../lib/profile/testdriver.ts";
import { type CertifyInput, loadCertifyInput } from "../../lib/profile/testdriver-merge.ts";
import { say } from "../../lib/progress.ts";
import { type Command, parseCommandArgs, usageError } from "./args.ts";
import { exitCodesHelp, judgeRun } from "./exit-codes.ts";
import { checkReportDirFirst, sayJudgement } from "./run-command.ts";
import { runEnvironment, runFlags, runFlagsHelp } from "./run-options.ts";
import { runSuites, SetupUsageError, type SuitesExtras } from "./run-suites.ts";

/**
 * `amc certify --profile FILE`: runs the scenarios on the profile's storage
 * classes and checks each of its claims against the verdicts. `--testdriver
 * FILE` (repeatable) takes the claims from upstream's test-driver files
 * instead, with an optional profile beside them (lib/profile/testdriver-merge.ts).
 */

export const certifyCommand: Command = {
  name: "certify",
  usage:
    "usage: amc certify --profile FILE [options]\n       amc certify --testdriver FILE [--testdriver FILE ...] [--profile FILE] [options]",
  help: `usage: amc certify --profile FILE [options]
       amc certify --testdriver FILE [--testdriver FILE ...] [--profile FILE] [options]

Runs the access-mode scenarios on the storage classes a vendor profile names and checks every claim of
the profile against the verdicts: held, broken, or not checked (with the reason). The reports
(certification.json/.md/.html) carry the claims and the evidence of the scenarios each rests on.

  --profile FILE                   the vendor profile (YAML; see profiles/ and lib/profile/profile.schema.json)
  --testdriver FILE                upstream's test-driver file (e2e.test -storage.testdriver=FILE, YAML or JSON):
                                   its class and the claims its capabilities make (repeatable: a class each).
                                   Every key amc does not know (upstream ignores typos silently) and every key
                                   it does not check is named at the start and in the certification. With
                                   --profile, the profile adds what the files cannot say (rwoCrossNode when
                                   singleNodeVolume does not say it, budgets, failover, rollouts); a claim the
                                   two disagree on stops certify (exit code 2). Its Timeouts scale the waits
                                   unless --timeout is given (docs/profiles.md)

A profile declares, per storage class: the access modes it supports (accessModes), what keeps a second
pod on another node off a ReadWriteOnce volume (rwoCrossNode: attach-exclusive, node-local or
not-enforced) and, for attachable storage, a handoff time budget (handoffBudget: 30s). Example:

  profile: access-mode-conformance/profile@1
  driver: { name: example.csi.vendor.com, vendor: Example }
  storageClasses:
    - name: fast-block
      provisioner: example.csi.vendor.com
      accessModes: [ReadWriteOnce, ReadWriteOncePod]
      rwoCrossNode: attach-exclusive
      handoffBudget: 60s

${runFlagsHelp}

${exitCodesHelp}

examples:
  amc certify --profile profiles/local.yaml
  amc certify --profile vendor.yaml --kubeconfig ~/.kube/config --context lab
  amc certify --testdriver test-driver.yaml --profile failover.yaml --kubeconfig ~/.kube/config`,
};

// The profile names the classes; --storage-class would contradict it.
const { "storage-class": _classes, ...sharedFlags } = runFlags;
export const certifyFlags = {
  ...sharedFlags,
  profile: { type: "string" },
  testdriver: { type: "string", multiple: true },
} as const;

/** A class the profile (or a test-driver file) names that the cluster lacks, pointed at where it is named. */
async function missingClassError(
  stored: StoredProfile,
  error: SetupUsageError,
  input: CertifyInput | undefined,
): Promise<Error> {
  const unknown = error.failure.unknownStorageClasses ?? [];
  if (unknown.length === 0) return error;
  const has = error.failure.availableStorageClasses ?? [];
  const lacks = (name: string) =>
    `storage class ${name} does not exist on the cluster; it has: ${has.join(", ") || "no storage class at all"}`;
  if (input) {
    return new TestDriverError(unknown.map((name) => `${input.classNamedAt[name] ?? name}: ${lacks(name)}`));
  }
  const text = await readFile(stored.file, "utf8");
  return new ProfileError(
    stored.file,
    unknown.map((name) => {
      const index = stored.profile.storageClasses.findIndex((c) => c.name === name);
      const at = classNamePosition(text, index) ?? { line: 1, column: 1 };
      return { ...at, message: lacks(name) };
    }),
  );
}

export async function certify(args: string[], extras: SuitesExtras = {}): Promise<number> {
  const { values } = parseCommandArgs(certifyCommand, args, certifyFlags);
  if (values.help) {
    console.log(certifyCommand.help);
    return 0;
  }
  const { profile: file, testdriver: testDrivers = [], ...runValues } = values;
  if (!file && testDrivers.length === 0) {
    throw usageError(certifyCommand, "--profile FILE or --testdriver FILE is required");
  }
  const env = runEnvironment(certifyCommand, runValues);
  checkReportDirFirst(certifyCommand, env);
  const input = testDrivers.length > 0 ? await testDriverInput(testDrivers, file, env) : undefined;
  const stored = input?.stored ?? (await loadProfile(file as string));
  env.AMC_STORAGE_CLASSES = stored.profile.storageClasses.map((c) => c.name).join(",");
  const handedOver = input ? await handOverProfile(stored) : undefined;
  env.AMC_PROFILE = handedOver?.path ?? (file as string);
  const result = await runSuites(env, extras)
    .catch(async (error: unknown) => {
      throw error instanceof SetupUsageError ? await missingClassError(stored, error, input) : error;
    })
    .finally(() => handedOver?.remove());
  if (result.certification && !result.certification.claims) {
    // Without the stored profile no claim was checked: never report that as "everything holds".
    throw new InfrastructureError(
      `the run's report carries no claims (records/${result.certification.run.id}/profile.json missing or unreadable)`,
    );
  }
  const judgement = judgeRun(result.certification, "certify", result.failedOutsideVerdicts);
  sayJudgement(judgement);
  return judgement.code;
}

/**
 * The claims of the test-driver files (and the profile beside them), their
 * warnings said at the start, and their Timeouts as the run's factor unless
 * --timeout (or AMC_TIMEOUT_SCALE) says otherwise.
 */
export async function testDriverInput(
  testDrivers: readonly string[],
  profile: string | undefined,
  env: Record<string, string>,
): Promise<CertifyInput> {
  const input = await loadCertifyInput(testDrivers, profile);
  for (const c of input.stored.profile.storageClasses) say("certify", classSummary(c));
  if (input.warnings.length > 0) {
    say(
      "certify",
      `${input.warnings.length} warning(s) about the test-driver files (also in the certification):`,
    );
    for (const line of input.warnings) say("certify", line);
  }
  const scale = input.timeoutScale;
  if (scale.factor > 1) {
    // --timeout set AMC_TIMEOUT_SCALE in env; an empty variable is unset (lib/settings.ts).
    const explicit = env.AMC_TIMEOUT_SCALE ?? (process.env.AMC_TIMEOUT_SCALE || undefined);
    if (explicit === undefined) {
      env.AMC_TIMEOUT_SCALE = String(scale.factor);
      say("certify", `${scale.file}: Timeouts: ${scale.because}: every wait x${scale.factor}`);
    } else {
      say(
        "certify",
        `${scale.file}: Timeouts ask for x${scale.factor} (${scale.because}); the timeout factor given, x${explicit}, applies`,
      );
    }
  }
  return input;
}

/** One line per class: what the run will check, and what it leaves open. */
function classSummary(c: StoredProfile["profile"]["storageClasses"][number]): string {
  const open = [
    ...Object.keys(c.unclaimed?.accessModes ?? {}),
    ...Object.keys(c.unclaimed?.blockAccessModes ?? {}).map((m) => `${m} (raw block)`),
    ...(c.rwoCrossNode === undefined ? ["rwoCrossNode"] : []),
  ];
  return [
    `class ${c.name} (${c.provisioner}): supports ${c.accessModes.join(", ") || "no mode"}`,
    ...(c.blockAccessModes ? [`on raw block ${c.blockAccessModes.join(", ") || "no mode"}`] : []),
    ...(c.rwoCrossNode ? [`RWO across nodes ${c.rwoCrossNode}`] : []),
    ...(open.length > 0 ? [`not claimed (not checked): ${open.join(", ")}`] : []),
  ].join("; ");
}

/**
 * The merged claims, handed to the run's set-up through AMC_PROFILE as a
 * stored profile (lib/profile/load-profile.ts takes it as it is) in a file
 * of certify's own, removed when certify ends: by `remove`, or on exit when
 * Ctrl-C ends the process without unwinding (app/cli/run-suites.ts).
 */
async function handOverProfile(
  stored: StoredProfile,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = join(tmpdir(), `amc-certify-${process.pid}-${randomBytes(6).toString("hex")}.json`);
  await writeFile(path, `${JSON.stringify(stored, null, 2)}\n`);
  const removeOnExit = () => rmSync(path, { force: true });
  process.once("exit", removeOnExit);
  return {
    path,
    remove: async () => {
      process.off("exit", removeOnExit);
      await rm(path, { force: true });
    },
  };
}
