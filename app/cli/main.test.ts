import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testDriverInput } from "./certify-command.ts";
import { main } from "./main.ts";

/** amc's argument handling: help, version, and usage errors, without running anything. */

function capture() {
  const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  return {
    out: () => out.mock.calls.map((c) => c.join(" ")).join("\n"),
    err: () => err.mock.calls.map((c) => c.join(" ")).join("\n"),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("amc", () => {
  it("prints its help with the commands and the exit codes", async () => {
    const io = capture();
    expect(await main(["--help"])).toBe(0);
    expect(io.out()).toMatch(/^usage: amc <command> \[options\]\n/);
    for (const command of ["run", "certify", "report", "cluster"])
      expect(io.out()).toContain(`\n  ${command} `);
    expect(io.out()).toMatch(/exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}130 /);
  });

  it("prints each command's help three ways", async () => {
    for (const args of [
      ["help", "certify"],
      ["certify", "--help"],
      ["certify", "-h"],
    ]) {
      const io = capture();
      expect(await main(args)).toBe(0);
      expect(io.out()).toMatch(
        /^usage: amc certify --profile FILE \[options\]\n {7}amc certify --testdriver FILE \[--testdriver FILE \.\.\.\] \[--profile FILE\] \[options\]\n/,
      );
      vi.restoreAllMocks();
    }
  });

  it("prints its version", async () => {
    const io = capture();
    expect(await main(["--version"])).toBe(0);
    expect(io.out()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [[], /^usage: amc <command> \[options\]/],
    [
      ["frobnicate"],
      /^amc: unknown command frobnicate; commands: run, certify, report, cluster, cleanup, sonobuoy\nusage: amc <command>/,
    ],
    [["--verbose"], /^amc: unknown option --verbose\n/],
    [
      ["run", "--paralel", "2"],
      /^amc run: unknown option --paralel\nusage: amc run \[options\]\nrun 'amc help run' for more$/,
    ],
    [["run", "extra"], /^amc run: unexpected argument extra\n/],
    [["run", "--parallel"], /^amc run: option '--parallel <value>' argument missing\n/],
    [
      ["certify"],
      /^amc certify: --profile FILE or --testdriver FILE is required\nusage: amc certify --profile FILE \[options\]\n {7}amc certify --testdriver FILE/,
    ],
    [
      ["certify", "--profile", "p.yaml", "--storage-class", "x"],
      /^amc certify: unknown option --storage-class\n/,
    ],
    [["help", "deploy"], /^amc: no command deploy; commands: /],
    [
      ["cluster", "status", "--cluster", "kubeconfig"],
      /^amc cluster: --cluster kubeconfig: expected one of local, kind\n/,
    ],
    [["cluster", "start"], /^amc cluster: unknown action start; expected one of up, down, status, list\n/],
    [
      ["cluster", "up", "--cluster", "minikube"],
      /^amc cluster: --cluster minikube: expected one of local, kind\n/,
    ],
    [["report", "--merge", "reports-a"], /^amc report: --merge needs two report directories or more\n/],
    [
      ["report", "--merge", "reports-a", "reports-b", "--report-dir", "reports-b"],
      /^amc report: --report-dir reports-b is one of the runs to merge: give the merged run a directory of its own\n/,
    ],
    [
      ["report", "--merge", "/nonexistent/a", "/nonexistent/b", "--report-dir", "/nonexistent/out"],
      /^--merge \/nonexistent\/a: no run recorded under \/nonexistent\/a\/records/,
    ],
  ])("refuses %j with the usage line and exit code 2", async (args, message) => {
    const io = capture();
    expect(await main(args)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it("reports a malformed profile with its position before touching any cluster", async () => {
    const io = capture();
    expect(await main(["certify", "--profile", "lib/profile/testdata/malformed.yaml"])).toBe(2);
    expect(io.err()).toMatch(/^lib\/profile\/testdata\/malformed\.yaml:8:5: not valid YAML: /);
  });

  describe("certify --testdriver", () => {
    const testdata = (name: string) => `lib/profile/testdata/${name}`;
    /** What amc says on stderr besides its errors: the classes and the warnings. */
    const said = () => {
      const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      return () => write.mock.calls.map((c) => String(c[0])).join("");
    };

    it.each([
      [
        [testdata("no-such-testdriver.yaml")],
        /^lib\/profile\/testdata\/no-such-testdriver\.yaml: cannot read the test-driver file: ENOENT$/,
      ],
      [
        [testdata("testdriver-malformed.yaml")],
        /^lib\/profile\/testdata\/testdriver-malformed\.yaml:6:1: not valid YAML: /,
      ],
      [
        [testdata("testdriver-no-class.yaml")],
        /^lib\/profile\/testdata\/testdriver-no-class\.yaml:1:1: StorageClass: no class to test: /,
      ],
      [
        [testdata("testdriver-fromfile-missing.yaml")],
        /^lib\/profile\/testdata\/testdriver-fromfile-missing\.yaml:2:3: StorageClass\.FromFile: .*cannot read the StorageClass manifest: ENOENT/,
      ],
      [
        [testdata("testdriver-block.yaml"), "--profile", testdata("testdriver-beside-conflicts.yaml")],
        /^the test-driver files and lib\/profile\/testdata\/testdriver-beside-conflicts\.yaml disagree; neither wins: correct the one that is wrong\n.*storageClasses\[0\]\.provisioner: /,
      ],
    ])("refuses %j before touching any cluster, exit code 2", async (args, message) => {
      const io = capture();
      said();
      expect(await main(["certify", "--testdriver", ...args])).toBe(2);
      expect(io.err()).toMatch(message);
    });

    it("says what the file maps to and warns about its keys before the run, which creates the file's class", async () => {
      const stderr = said();
      const input = await testDriverInput([testdata("testdriver-fromfile.yaml")], undefined, {});
      expect(input.stored.storageClassesToCreate?.map((c) => c.manifest.metadata.name)).toEqual([
        "example-fast",
      ]);
      expect(stderr()).toContain(
        "[amc certify] class example-fast (block.csi.example.com): supports ReadWriteOnce; on raw block ReadWriteOnce, ReadWriteMany; not claimed (not checked): ReadWriteOncePod, ReadWriteOncePod (raw block), rwoCrossNode\n",
      );
      expect(stderr()).toContain(
        "[amc certify] lib/profile/testdata/testdriver-fromfile.yaml:3:3: StorageClass.FromFile: testdriver-storageclass.yaml: annotation storageclass.kubernetes.io/is-default-class left out",
      );
    });
  });
});

describe("amc as a program", () => {
  const amc = fileURLToPath(new URL("../../bin/amc.js", import.meta.url));

  it("ends with its own exit code, not a crash, when the reader of its output leaves first (amc … |& head)", async () => {
    // Says where kind's binary is (a progress line on stderr), then asks kind: a write after the reader left.
    const args = [amc, "cluster", "list", "--cluster", "kind"];
    const expected = (await execa(process.execPath, args, { reject: false })).exitCode;
    const child = execa(process.execPath, args, { reject: false });
    child.stdout?.destroy();
    child.stderr?.destroy();
    expect((await child).exitCode).toBe(expected);
  }, 120_000);
});
