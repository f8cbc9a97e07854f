import { spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { reportRun } from "../../lib/report/write.ts";
import type { CleanupTask } from "./task.ts";

/**
 * The guardian process itself, as startGuardian runs it: told a task line by
 * line on its stdin, woken when the pipe closes (here: closed by the test, as
 * the death of the run's process closes it).
 */

const guardianMain = fileURLToPath(new URL("./guardian-main.ts", import.meta.url));
const testdata = fileURLToPath(new URL("../../lib/report/testdata/run", import.meta.url));
const runId = "20261121t121940-db37";
let reportDir = "";
const records = () => join(reportDir, "records", runId);

beforeEach(async () => {
  reportDir = await mkdtemp(join(tmpdir(), "amc-guardian-"));
  await cp(testdata, records(), { recursive: true });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(reportDir, { recursive: true, force: true });
});

/** Runs the guardian with these lines on its stdin, then closes it, as the run's end does. */
function guardianAfter(messages: object[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [guardianMain], { stdio: ["pipe", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  for (const message of messages) child.stdin.write(`${JSON.stringify(message)}\n`);
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

async function reportFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const dir of [reportDir, records()]) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) files[join(dir, entry.name)] = await readFile(join(dir, entry.name), "utf8");
    }
  }
  return files;
}

const reportTask = (): CleanupTask => ({ report: { reportDir, runId } });

describe("the guardian", () => {
  it("never replaces the reports of a run that wrote them complete", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const complete = await reportRun(reportDir, runId, {
      finishedAt: "2026-11-21T12:20:08.788Z",
      status: "complete",
    });
    const before = await reportFiles();

    // The run's teardown failed after the reports (removing its objects): it neither dismissed the guardian nor told it.
    const guardian = await guardianAfter([{ update: reportTask() }]);

    expect(guardian.stderr).toContain("[amc guardian] the run's reports are complete; left as they are");
    expect(guardian.stderr).not.toContain("interrupted run written");
    expect(await reportFiles()).toEqual(before);
    const json = JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8"));
    expect(json.run.status).toBe("complete");
    expect(await readFile(join(reportDir, "certification.json.sha256"), "utf8")).toBe(
      `${complete?.digest}  certification.json\n`,
    );
    expect(guardian.code).toBe(0);
  });

  it("drops what the run says it did itself", async () => {
    await rm(join(records(), "end.json"));
    const guardian = await guardianAfter([{ update: reportTask() }, { done: ["report"] }]);
    expect(guardian.stderr).toBe("");
    expect(guardian.code).toBe(0);
    expect(await readdir(reportDir)).toEqual(["records"]);
  });

  it("writes the reports of an interrupted run", async () => {
    await rm(join(records(), "end.json"));
    const guardian = await guardianAfter([{ update: reportTask() }]);
    expect(guardian.stderr).toContain(
      "[amc guardian] the test run ended without finishing (interrupted or killed); finishing it",
    );
    expect(guardian.stderr).toContain(`reports of the interrupted run written to ${reportDir}`);
    const json = JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8"));
    expect(json.run.status).toBe("interrupted");
    expect(guardian.code).toBe(0);
  });
});
