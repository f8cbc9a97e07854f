import { readFile } from "node:fs/promises";
import { InfrastructureError } from "../../lib/errors.ts";
import { classNamePosition, loadProfile, ProfileError } from "../../lib/profile/load-profile.ts";
import type { StoredProfile } from "../../lib/profile/profile.ts";
import { type Command, parseCommandArgs, usageError } from "./args.ts";
import { exitCodesHelp, judgeRun } from "./exit-codes.ts";
import { checkReportDirFirst, sayJudgement } from "./run-command.ts";
import { runEnvironment, runFlags, runFlagsHelp } from "./run-options.ts";
import { runSuites, SetupUsageError } from "./run-suites.ts";

/**
 * `amc certify --profile FILE`: runs the scenarios on the profile's storage
 * classes and checks each of its claims against the verdicts.
 */

export const certifyCommand: Command = {
  name: "certify",
  usage: "usage: amc certify --profile FILE [options]",
  help: `usage: amc certify --profile FILE [options]

Runs the access-mode scenarios on the storage classes a vendor profile names and checks every claim of
the profile against the verdicts: held, broken, or not checked (with the reason). The reports
(certification.json/.md/.html) carry the claims and the evidence of the scenarios each rests on.

  --profile FILE                   the vendor profile (YAML; see profiles/ and lib/profile/profile.schema.json)

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
  amc certify --profile vendor.yaml --kubeconfig ~/.kube/config --context lab`,
};

// The profile names the classes; --storage-class would contradict it.
const { "storage-class": _classes, ...sharedFlags } = runFlags;
export const certifyFlags = { ...sharedFlags, profile: { type: "string" } } as const;

/** A class the profile names that the cluster lacks, pointed at where the profile names it. */
async function missingClassError(stored: StoredProfile, error: SetupUsageError): Promise<Error> {
  const unknown = error.failure.unknownStorageClasses ?? [];
  if (unknown.length === 0) return error;
  const text = await readFile(stored.file, "utf8");
  const has = error.failure.availableStorageClasses ?? [];
  return new ProfileError(
    stored.file,
    unknown.map((name) => {
      const index = stored.profile.storageClasses.findIndex((c) => c.name === name);
      const at = classNamePosition(text, index) ?? { line: 1, column: 1 };
      return {
        ...at,
        message: `storage class ${name} does not exist on the cluster; it has: ${has.join(", ") || "no storage class at all"}`,
      };
    }),
  );
}

export async function certify(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(certifyCommand, args, certifyFlags);
  if (values.help) {
    console.log(certifyCommand.help);
    return 0;
  }
  const { profile: file, ...runValues } = values;
  if (!file) throw usageError(certifyCommand, "--profile FILE is required");
  const env = runEnvironment(certifyCommand, runValues);
  checkReportDirFirst(certifyCommand, env);
  const stored = await loadProfile(file);
  env.AMC_STORAGE_CLASSES = stored.profile.storageClasses.map((c) => c.name).join(",");
  env.AMC_PROFILE = file;
  const result = await runSuites(env).catch(async (error: unknown) => {
    throw error instanceof SetupUsageError ? await missingClassError(stored, error) : error;
  });
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
