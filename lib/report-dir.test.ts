import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, onTestFinished, vi } from "vitest";
import {
  checkReportDir,
  LOCK_NAME,
  lockReportDir,
  nodeReportDirFs,
  type ReportDirFs,
  reportDirLabel,
  reportDirProblem,
} from "./report-dir.ts";

const scratch = mkdtempSync(join(tmpdir(), "amc-report-dir-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(scratch, `case-${++n}`);

/** The real file system, with some answers replaced. */
const fsWith = (overrides: Partial<ReportDirFs>): ReportDirFs => ({ ...nodeReportDirFs, ...overrides });
const errno = (code: string) => Object.assign(new Error(`${code}: refused`), { code });

describe("the report directory check", () => {
  it("creates a missing directory, parents included, and leaves nothing else in it", () => {
    const dir = join(fresh(), "a", "b");
    expect(reportDirProblem(dir)).toBeUndefined();
    expect(existsSync(dir)).toBe(true);
    expect(checkReportDir(dir, "--report-dir x")).toBe(dir);
  });

  it("refuses a file, and a path through a file", () => {
    const file = fresh();
    writeFileSync(file, "");
    expect(reportDirProblem(file)).toBe(`${file} is a file, not a directory`);
    expect(reportDirProblem(join(file, "reports"))).toBe(`${file} is a file, not a directory`);
    expect(() => checkReportDir(file, `--report-dir ${file}`)).toThrow(
      expect.objectContaining({
        code: "AMC_USAGE",
        message: `--report-dir ${file}: ${file} is a file, not a directory`,
      }),
    );
  });

  it("names a dangling symbolic link as such", () => {
    const link = fresh();
    symlinkSync("/nonexistent/amc-reports", link);
    const problem = `${link} is a dangling symbolic link: it points to /nonexistent/amc-reports, which does not exist`;
    expect(reportDirProblem(link)).toBe(problem);
    expect(reportDirProblem(join(link, "sub"))).toBe(problem);
  });

  it("follows a symbolic link to a directory", () => {
    const target = fresh();
    mkdirSync(target);
    const link = fresh();
    symlinkSync(target, link);
    expect(reportDirProblem(join(link, "reports"))).toBeUndefined();
    expect(existsSync(join(target, "reports"))).toBe(true);
  });

  it("refuses /proc, /sys and /dev without creating anything there (recursive mkdir loops for ever on /proc)", () => {
    const made: string[] = [];
    const fs = fsWith({
      makeDirectory: (path) => {
        made.push(path);
      },
    });
    expect(reportDirProblem("/proc/amc-reports", fs)).toBe(
      "/proc/amc-reports is under /proc, a pseudo file system of the kernel, not a place for files; choose a directory on a disk",
    );
    expect(reportDirProblem("/sys/amc/reports", fs)).toMatch(
      /^\/sys\/amc\/reports is under \/sys, a pseudo file system/,
    );
    expect(reportDirProblem("/dev/amc-reports", fs)).toMatch(
      /^\/dev\/amc-reports is under \/dev, a pseudo file system/,
    );
    // Through a symbolic link into /proc: where it really is counts.
    const link = fresh();
    symlinkSync("/proc", link);
    expect(reportDirProblem(join(link, "reports"), fs)).toMatch(/\(\/proc\/reports\) is under \/proc/);
    expect(made).toEqual([]);
  });

  it("refuses a pseudo file system mounted anywhere, by its type", () => {
    const dir = fresh();
    mkdirSync(dir);
    expect(reportDirProblem(join(dir, "reports"), fsWith({ fileSystemType: () => 0x9fa0 }))).toBe(
      `${join(dir, "reports")} is on a proc file system, a pseudo file system of the kernel, not a place for files; choose a directory on a disk`,
    );
    expect(existsSync(join(dir, "reports"))).toBe(false);
  });

  it("only looks with create: false (vitest.config.ts, before the lock): nothing made, nothing probed", () => {
    const dir = join(fresh(), "reports");
    expect(reportDirProblem(dir, undefined, { create: false })).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
    expect(reportDirProblem("/proc/amc-reports", undefined, { create: false })).toMatch(/is under \/proc/);
  });

  it("takes /dev/shm, a real tmpfs", () => {
    const fs = fsWith({ makeDirectory: () => {}, probeWrite: () => {}, fileSystemType: () => 0x01021994 });
    expect(reportDirProblem("/dev/shm/amc-reports", fs)).toBeUndefined();
  });

  it("refuses a directory it cannot create or write in, with the reason", () => {
    const dir = fresh();
    mkdirSync(dir);
    expect(
      reportDirProblem(
        dir,
        fsWith({
          probeWrite: () => {
            throw errno("EROFS");
          },
        }),
      ),
    ).toBe(`cannot write in ${dir}: read-only file system`);
    expect(
      reportDirProblem(
        dir,
        fsWith({
          probeWrite: () => {
            throw errno("EACCES");
          },
        }),
      ),
    ).toBe(`cannot write in ${dir}: permission denied`);
    const sub = join(dir, "a", "b");
    expect(
      reportDirProblem(
        sub,
        fsWith({
          makeDirectory: () => {
            throw errno("EACCES");
          },
        }),
      ),
    ).toBe(`cannot create ${join(dir, "a")} (for ${sub}): permission denied`);
  });

  it("refuses a read-only directory of the real file system (root: one made immutable)", (ctx) => {
    const dir = fresh();
    mkdirSync(dir);
    // Root ignores permission bits: only an immutable directory (chattr +i) refuses it a new file.
    const asRoot = process.getuid?.() === 0;
    try {
      if (asRoot) execFileSync("chattr", ["+i", dir], { stdio: "ignore" });
      else chmodSync(dir, 0o555);
    } catch {
      ctx.skip("no way to make a directory read-only here (chattr +i needs root on ext4, xfs or btrfs)");
    }
    onTestFinished(() => {
      if (asRoot) execFileSync("chattr", ["-i", dir]);
      else chmodSync(dir, 0o755);
    });
    expect(reportDirProblem(dir)).toBe(`cannot write in ${dir}: permission denied`);
    expect(reportDirProblem(join(dir, "reports"))).toBe(
      `cannot create ${join(dir, "reports")}: permission denied`,
    );
  });

  it("names where the directory came from", () => {
    expect(reportDirLabel({}, "out")).toBe("--report-dir out");
    expect(reportDirLabel({ AMC_REPORT_DIR: "/x" })).toBe("AMC_REPORT_DIR=/x");
    expect(reportDirLabel({})).toBe("the report directory (default ./reports)");
  });
});

/** Another process that takes the lock, says "locked", and holds it until killed. */
function holder(dir: string): Promise<ChildProcess> {
  const module = new URL("./report-dir.ts", import.meta.url).href;
  const code = `const { lockReportDir } = await import(${JSON.stringify(module)});
await lockReportDir(${JSON.stringify(dir)}, "holder");
process.stdout.write("locked\\n");
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  onTestFinished(() => {
    child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
}

const exited = (child: ChildProcess) => new Promise((resolve) => child.once("exit", resolve));

describe("the report directory lock", () => {
  it("refuses a second run while the first holds it, naming the holder", async () => {
    const dir = fresh();
    mkdirSync(dir);
    const first = await holder(dir);
    await expect(lockReportDir(dir, `--report-dir ${dir}`)).rejects.toThrow(
      expect.objectContaining({
        code: "AMC_USAGE",
        message: expect.stringMatching(
          new RegExp(
            `^--report-dir ${dir}: ${dir} is in use by another run \\(pid ${first.pid}, since .*\\)\\. Two runs in one directory would overwrite each other's reports .*: give each run a report directory of its own \\(--report-dir, AMC_REPORT_DIR\\), or wait for that run to end$`,
          ),
        ),
      }),
    );
  });

  it("takes over at once the lock of a holder that was killed", async () => {
    const dir = fresh();
    mkdirSync(dir);
    const first = await holder(dir);
    const gone = exited(first);
    first.kill("SIGKILL"); // no exit handler runs: its lock stays
    await gone;
    expect(existsSync(join(dir, LOCK_NAME))).toBe(true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    onTestFinished(() => {
      vi.restoreAllMocks();
    });
    const started = Date.now();
    const lock = await lockReportDir(dir, "x");
    // Well before the lock would go stale (10 s without a refresh).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(process.stderr.write).toHaveBeenCalledWith(
      expect.stringContaining(`run ${first.pid} that locked it is gone; taking its lock over`),
    );
    await lock.release();
    expect(existsSync(join(dir, LOCK_NAME))).toBe(false);
  });

  it("says so when the holder is unknown: a fresh lock without its owner", async () => {
    const dir = fresh();
    mkdirSync(join(dir, LOCK_NAME), { recursive: true });
    await expect(lockReportDir(dir, "x")).rejects.toThrow(
      `its lock ${join(dir, LOCK_NAME)} is held; a lock whose holder died goes stale within 10 s`,
    );
  });

  it("is taken again by the same process (amc, then the suites' set-up), and given back by the last release", async () => {
    const dir = fresh();
    mkdirSync(dir);
    const amc = await lockReportDir(dir, "x");
    const setup = await lockReportDir(dir, "x");
    await setup.release();
    await setup.release();
    expect(existsSync(join(dir, LOCK_NAME))).toBe(true);
    await amc.release();
    expect(existsSync(join(dir, LOCK_NAME))).toBe(false);
    expect(existsSync(join(dir, ".amc-lock.json"))).toBe(false);
    // Free again: another process takes it.
    await holder(dir);
  });
});
