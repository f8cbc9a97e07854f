import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { reportRun } from "./write.ts";

// A recorded run (20261121t121940-db37), copied: reportRun writes next to its records.
const runId = "20261121t121940-db37";
const testdata = fileURLToPath(new URL("./testdata/run", import.meta.url));
let reportDir = "";
const records = () => join(reportDir, "records", runId);

beforeEach(async () => {
  reportDir = await mkdtemp(join(tmpdir(), "amc-write-"));
  await cp(testdata, records(), { recursive: true });
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(reportDir, { recursive: true, force: true });
});

/** Every file of the report directory and of the run's records, by path, with its content. */
async function everyFile(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const dir of [reportDir, records()]) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) files[join(dir, entry.name)] = await readFile(join(dir, entry.name), "utf8");
    }
  }
  return files;
}

const recordedStatus = async () =>
  (JSON.parse(await readFile(join(records(), "end.json"), "utf8")) as { status: string }).status;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the reports of a run", () => {
  it("are never rewritten as interrupted once the run wrote them complete", async () => {
    const complete = await reportRun(reportDir, runId, {
      finishedAt: "2026-11-21T12:20:08.788Z",
      status: "complete",
    });
    expect(complete?.kept).toBeUndefined();
    const before = await everyFile();
    const printed = complete?.digest;

    // As the guardian does when the run's process ends without dismissing it.
    const guardian = await reportRun(reportDir, runId, {
      finishedAt: "2026-11-21T12:25:00.000Z",
      status: "interrupted",
    });

    expect(await everyFile()).toEqual(before);
    expect(guardian?.kept).toBe(true);
    expect(guardian?.digest).toBe(printed);
    expect(guardian?.certification.run.status).toBe("complete");
    const onDisk = await readFile(join(reportDir, "certification.json"), "utf8");
    expect(sha256(onDisk)).toBe(printed);
    expect(await readFile(join(reportDir, "certification.json.sha256"), "utf8")).toBe(
      `${printed}  certification.json\n`,
    );
    expect(await recordedStatus()).toBe("complete");
    expect(vi.mocked(process.stderr.write).mock.calls.join("")).toContain(
      "its reports are left as they are, not rewritten as interrupted",
    );
  });

  it("touch nothing when a complete run's reports were replaced by another run's", async () => {
    await reportRun(reportDir, runId, { finishedAt: "2026-11-21T12:20:08.788Z", status: "complete" });
    const other = `${JSON.stringify({ run: { id: "20261122t080000-abcd" } })}\n`;
    await writeFile(join(reportDir, "certification.json"), other);
    const before = await everyFile();
    const guardian = await reportRun(reportDir, runId, {
      finishedAt: "2026-11-21T12:25:00.000Z",
      status: "interrupted",
    });
    expect(guardian).toBeUndefined();
    expect(await everyFile()).toEqual(before);
  });

  it("of a run that recorded no end are written as interrupted", async () => {
    await rm(join(records(), "end.json"));
    const written = await reportRun(reportDir, runId, {
      finishedAt: "2026-11-21T12:25:00.000Z",
      status: "interrupted",
    });
    expect(written?.kept).toBeUndefined();
    expect(written?.certification.run.status).toBe("interrupted");
    expect(await recordedStatus()).toBe("interrupted");
    expect(sha256(await readFile(join(reportDir, "certification.json"), "utf8"))).toBe(written?.digest);
  });
});
