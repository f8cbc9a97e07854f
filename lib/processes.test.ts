import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { isRunning, mentionsPath, processesMentioning, startDetached, stopProcess } from "./processes.ts";

/** A temporary directory, removed when the test that made it ends. */
async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("host processes", () => {
  it("are recorded, found by what they mention, and stopped by their record", async () => {
    const dir = await scratchDir("amc-proc-");
    const marker = join(dir, `marker-${randomBytes(4).toString("hex")}`);
    const sleeper = ["-e", "setTimeout(() => {}, 30_000)", marker];
    const record = await startDetached("sleeper", process.execPath, sleeper, join(dir, "log"));
    expect(await isRunning(record)).toBe(true);
    expect((await processesMentioning(marker)).map((p) => p.pid)).toEqual([record.pid]);
    expect(await stopProcess(record)).toBe("terminated");
    expect(await isRunning(record)).toBe(false);
    expect(await processesMentioning(marker)).toEqual([]);
    expect(await stopProcess(record)).toBe("not-running");
  });

  it("are not taken for another process that reuses the pid", async () => {
    const dir = await scratchDir("amc-proc-");
    const record = await startDetached("sleeper", "sleep", ["30"], join(dir, "log"));
    expect(await isRunning({ ...record, startTicks: "1" })).toBe(false);
    await stopProcess(record);
  });
});

describe("path mentions", () => {
  it("match the path and what is under it, never a sibling that starts alike", () => {
    expect(mentionsPath("/c/local-clusters/amc", "/c/local-clusters/amc")).toBe(true);
    expect(mentionsPath("--data-dir=/c/kwok/clusters/amc/etcd", "/c/kwok/clusters/amc")).toBe(true);
    expect(
      mentionsPath("--kubeconfig=/c/kwok/clusters/amc-3f9a2c/kubeconfig.yaml", "/c/kwok/clusters/amc"),
    ).toBe(false);
    expect(mentionsPath("/c/local-clusters/amc.old", "/c/local-clusters/amc")).toBe(false);
  });
});
