import { readFile, writeFile } from "node:fs/promises";
import { type ErrorCode, errorCodeOf } from "./errors.ts";

/**
 * What the suites' global set-up tells the process that started vitest
 * (`amc run`) about the run: its id once it has one, and why it could not
 * start. Vitest prints an error thrown in a global set-up and keeps only
 * exit code 1, so the kind of error (the user's input, or the cluster)
 * travels through a file named by AMC_OUTCOME_FILE. Without the variable
 * (plain `npm test`) nothing is written.
 */

export const OUTCOME_FILE_VARIABLE = "AMC_OUTCOME_FILE";

export interface SetupFailure {
  /** The error's code (lib/errors.ts): AMC_USAGE and its kin, the input; the others, the cluster or the machine. */
  code: ErrorCode;
  name: string;
  message: string;
  /** Storage classes asked for that the cluster does not have, and the ones it has (UnknownStorageClassError). */
  unknownStorageClasses?: string[];
  availableStorageClasses?: string[];
}

export interface RunOutcome {
  runId?: string;
  setupFailure?: SetupFailure;
}

export function describeSetupFailure(error: unknown): SetupFailure {
  const e = error instanceof Error ? error : new Error(String(error));
  const { unknown, available } = e as { unknown?: unknown; available?: unknown };
  return {
    code: errorCodeOf(e) ?? "AMC_INFRASTRUCTURE",
    name: e.name,
    message: e.message,
    ...(Array.isArray(unknown) ? { unknownStorageClasses: unknown.map(String) } : {}),
    ...(Array.isArray(available) ? { availableStorageClasses: available.map(String) } : {}),
  };
}

/** Adds to the outcome file, when there is one. */
export async function noteOutcome(update: RunOutcome, file: string | undefined): Promise<void> {
  if (!file) return;
  const current = await readOutcome(file);
  await writeFile(file, `${JSON.stringify({ ...current, ...update })}\n`);
}

export async function readOutcome(file: string): Promise<RunOutcome> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as RunOutcome;
  } catch {
    return {};
  }
}
