import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { recordsDir } from "../scenario/records.ts";
import type { StoredProfile } from "./profile.ts";

/**
 * The vendor profile a run checks, kept next to its plan and records
 * (<reportDir>/records/<run id>/profile.json), so that every later rendering
 * of the run's reports (the end of the run, its guardian after Ctrl-C,
 * `amc report`) checks the same claims.
 */

export async function writeRunProfile(
  reportDir: string,
  runId: string,
  profile: StoredProfile,
): Promise<void> {
  const dir = recordsDir(reportDir, runId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "profile.json"), `${JSON.stringify(profile, null, 2)}\n`);
}

export async function readRunProfile(reportDir: string, runId: string): Promise<StoredProfile | undefined> {
  try {
    return JSON.parse(
      await readFile(join(recordsDir(reportDir, runId), "profile.json"), "utf8"),
    ) as StoredProfile;
  } catch (error) {
    // A run without a profile has none; a profile that cannot be read is an error, not "no claims".
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
