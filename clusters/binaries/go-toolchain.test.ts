import { access, constants, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  atLeast,
  goProxyUrls,
  goSetting,
  goVersionOfOutput,
  hash1,
  minorRelease,
  parseGoEnvFile,
  pathGoWillDo,
  provideGo,
  toolchainDir,
  toolchainModuleVersion,
  toolchainZipUrl,
  unpackModuleZip,
} from "./go-toolchain.ts";
import { goToolchainSums, pins } from "./pins.ts";

/** A temporary directory, removed when the test that made it ends. */
async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The Go toolchain fetched through the Go module proxy when PATH has no go.
 * The fetch runs against a proxy on loopback serving testdata's stand-in
 * module zip (made, and its h1: hash computed, by testdata/make-fake-toolchain-zip.py).
 */

const fakeZip = new URL("./testdata/toolchain-go1.99.0.linux-amd64.zip", import.meta.url);
const fakeVersion = "go1.99.0";
const fakeH1 = "h1:xYrBEvNX5DIjcShoARHmCo5tHKi5qXvDIAfdSuEvxiI=";
const fakePrefix = "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/";
const fakeSums = { "linux-amd64": fakeH1 };

describe("the pinned toolchain", () => {
  it("is a Go 1.26 release, with a checksum for each platform the suite runs on", () => {
    expect(pins.go).toMatch(/^go1\.26\.\d+$/);
    expect(Object.keys(goToolchainSums).sort()).toEqual(["linux-amd64", "linux-arm64"]);
    for (const sum of Object.values(goToolchainSums)) expect(sum).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
  });

  it("is the module version Go gives a toolchain, for the platform", () => {
    expect(toolchainModuleVersion("go1.26.8", "linux-amd64")).toBe("v0.0.1-go1.26.8.linux-amd64");
    expect(toolchainModuleVersion("go1.26.8", "linux-arm64")).toBe("v0.0.1-go1.26.8.linux-arm64");
    expect(() => toolchainModuleVersion("1.26.8", "linux-amd64")).toThrow(/not a Go release/);
    expect(() => toolchainModuleVersion("go1.26.8", "linux/amd64")).toThrow(/not a Go platform/);
  });

  it("is fetched as the module's zip from the proxy", () => {
    expect(toolchainZipUrl("https://proxy.golang.org", "go1.26.8", "linux-amd64")).toBe(
      "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.26.8.linux-amd64.zip",
    );
  });
});

describe("GOPROXY", () => {
  it("defaults to proxy.golang.org when unset or empty", () => {
    expect(goProxyUrls(undefined)).toEqual(["https://proxy.golang.org"]);
    expect(goProxyUrls(" ")).toEqual(["https://proxy.golang.org"]);
  });

  it("lists the proxies up to the first off or direct, as Go reads them", () => {
    expect(goProxyUrls("https://goproxy.example.com/,direct")).toEqual(["https://goproxy.example.com"]);
    expect(goProxyUrls("proxy.example.com|https://b.example/mirror,off,https://never.example")).toEqual([
      "https://proxy.example.com",
      "https://b.example/mirror",
    ]);
    expect(goProxyUrls("direct,https://proxy.golang.org")).toEqual([]);
    expect(goProxyUrls("off")).toEqual([]);
    expect(goProxyUrls("file:///srv/goproxy")).toEqual(["file:///srv/goproxy"]);
    expect(goProxyUrls("somekeyword,http://127.0.0.1:3000")).toEqual(["http://127.0.0.1:3000"]);
  });

  it("comes from the environment, else from the user's go env file (go env -w)", async () => {
    const dir = await scratchDir("amc-goenv-");
    const file = join(dir, "env");
    await writeFile(file, "GOPROXY=https://corp.example/goproxy\nGOFLAGS=-mod=mod\n");
    expect(parseGoEnvFile("GOPROXY=a\n# no\nlower=x\nGONOSUMDB=\n")).toEqual({ GOPROXY: "a", GONOSUMDB: "" });
    expect(await goSetting("GOPROXY", { GOENV: file })).toBe("https://corp.example/goproxy");
    expect(await goSetting("GOPROXY", { GOENV: file, GOPROXY: "https://env.example" })).toBe(
      "https://env.example",
    );
    expect(await goSetting("GOPROXY", { GOENV: file, GOPROXY: "" })).toBe("https://corp.example/goproxy");
    expect(await goSetting("GOPROXY", { GOENV: "off" })).toBeUndefined();
    await mkdir(join(dir, "go"));
    await writeFile(join(dir, "go", "env"), "GOPROXY=https://xdg.example\n");
    expect(await goSetting("GOPROXY", { XDG_CONFIG_HOME: dir })).toBe("https://xdg.example");
  });
});

describe("go on PATH", () => {
  it("reads its version", () => {
    expect(goVersionOfOutput("go version go1.26.8 linux/amd64\n")).toBe("go1.26.8");
    expect(goVersionOfOutput("go version devel go1.27-abcdef linux/arm64")).toBe("go1.27");
    expect(goVersionOfOutput("bash: go: command not found")).toBeUndefined();
    expect(minorRelease("go1.26.8")).toBe("go1.26");
    expect(atLeast("go1.26.0", "go1.26")).toBe(true);
    expect(atLeast("go1.26", "go1.26.1")).toBe(false);
    expect(atLeast("go1.100.0", "go1.26")).toBe(true);
    expect(atLeast("go2.0", "go1.26")).toBe(true);
    expect(atLeast("go1.19.8", "go1.21")).toBe(false);
  });

  it("does when it is the release the modules ask for, or a Go 1.21+ that may fetch that one", () => {
    expect(pathGoWillDo("go1.26.0", undefined, "go1.26")).toBe(true);
    expect(pathGoWillDo("go1.27.1", "local", "go1.26")).toBe(true);
    expect(pathGoWillDo("go1.24.4", "auto", "go1.26")).toBe(true);
    expect(pathGoWillDo("go1.24.4", "go1.24.4+auto", "go1.26")).toBe(true);
    // Debian's go says local: it would stop at the modules' `go 1.26.0`.
    expect(pathGoWillDo("go1.24.4", "local", "go1.26")).toBe(false);
    expect(pathGoWillDo("go1.24.4", "path", "go1.26")).toBe(false);
    expect(pathGoWillDo("go1.19.8", "auto", "go1.26")).toBe(false);
  });
});

describe("module zips", () => {
  it("hash as Go's dirhash h1: (sorted by name, one line a file)", () => {
    // The same two files in either order; the value from Go's algorithm in Python.
    const files = [
      ["b", "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"], // sha256("x")
      ["a/c", "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"], // sha256("y")
    ] as const;
    expect(hash1(files)).toBe("h1:hmxRDT/Sp07TBtJk/soDClxa58mi5pRgBlX74NMM2lk=");
    expect(hash1([...files].reverse())).toBe(hash1(files));
    expect(() => hash1([["a\nb", "00"]])).toThrow(/newline/);
  });

  it("unpack without their prefix, hashing to the checksum database's h1:, commands executable", async () => {
    const dest = join(await scratchDir("amc-unzip-"), "go");
    const unpacked = await unpackModuleZip(fileURLToPath(fakeZip), fakePrefix, dest);
    expect(unpacked).toEqual({ h1: fakeH1, files: 8, goMods: ["src/_go.mod", "src/cmd/_go.mod"] });
    for (const command of ["bin/go", "bin/gofmt", "pkg/tool/linux_amd64/compile"]) {
      expect((await stat(join(dest, command))).mode & 0o111).toBe(0o111);
    }
    expect((await stat(join(dest, "src/fmt/print.go"))).mode & 0o111).toBe(0);
  });

  it("refuse a file outside the module's prefix", async () => {
    const dest = join(await scratchDir("amc-unzip-"), "go");
    await expect(
      unpackModuleZip(fileURLToPath(fakeZip), "golang.org/toolchain@v0.0.1-go1.99.1.linux-amd64/", dest),
    ).rejects.toThrow(/is not under golang\.org\/toolchain@v0\.0\.1-go1\.99\.1/);
  });
});

describe("a toolchain fetched through the Go module proxy", () => {
  let server: Server;
  let proxy = "";
  const requests: string[] = [];

  beforeAll(async () => {
    const zip = await readFile(fakeZip);
    server = createServer((request, response) => {
      requests.push(request.url ?? "");
      if (request.url === `/golang.org/toolchain/@v/v0.0.1-${fakeVersion}.linux-amd64.zip`) {
        response.writeHead(200, { "content-type": "application/zip", "content-length": zip.length });
        return response.end(zip);
      }
      response.writeHead(404).end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const noGoOnPath = "/nonexistent/amc-no-go";
  async function cacheHome() {
    return scratchDir("amc-xdg-");
  }

  it("is fetched when PATH has no go, cached as a GOROOT, then taken from the cache", async () => {
    const cache = await cacheHome();
    const env = { PATH: noGoOnPath, GOPROXY: `${proxy}/missing,${proxy}`, XDG_CACHE_HOME: cache };
    const options = { env, version: fakeVersion, platform: "linux-amd64", sums: fakeSums };
    const before = requests.length;
    const go = await provideGo(options);
    const dir = toolchainDir(join(cache, "access-mode-conformance"), fakeVersion, "linux-amd64");
    expect(go.command).toBe(join(dir, "bin", "go"));
    expect(go.env).toMatchObject({ GOROOT: dir, GOTOOLCHAIN: "local" });
    expect(go.env.PATH?.split(":")[0]).toBe(join(dir, "bin"));
    expect(go.description).toMatch(/^go1\.99\.0 fetched through the Go module proxy/);
    // The first proxy answered 404: the next one served it, once.
    expect(requests.slice(before)).toEqual([
      "/missing/golang.org/toolchain/@v/v0.0.1-go1.99.0.linux-amd64.zip",
      "/golang.org/toolchain/@v/v0.0.1-go1.99.0.linux-amd64.zip",
    ]);
    await access(go.command, constants.X_OK);
    expect(await readFile(join(dir, "src", "go.mod"), "utf8")).toBe("module std\n\ngo 1.99\n");
    expect(await readFile(join(dir, "src", "cmd", "go.mod"), "utf8")).toBe("module cmd\n\ngo 1.99\n");
    expect(JSON.parse(await readFile(join(dir, ".amc-go-toolchain.json"), "utf8"))).toMatchObject({
      version: fakeVersion,
      h1: fakeH1,
    });
    // Nothing left in the staging area.
    expect(await readdir(join(cache, "access-mode-conformance", "tmp"))).toEqual([]);

    // Another process (another PATH, so not this process's memo) takes it from the cache.
    const again = await provideGo({ ...options, env: { ...env, PATH: `${noGoOnPath}-2` } });
    expect(again.command).toBe(go.command);
    expect(again.description).toMatch(/^go1\.99\.0 fetched earlier through the Go module proxy/);
    expect(requests.length).toBe(before + 2);
  });

  it("is not used when its zip does not hash to the pin, and leaves nothing behind", async () => {
    const cache = await cacheHome();
    const wrong = { "linux-amd64": "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" };
    await expect(
      provideGo({
        env: { PATH: noGoOnPath, GOPROXY: proxy, XDG_CACHE_HOME: cache },
        version: fakeVersion,
        platform: "linux-amd64",
        sums: wrong,
      }),
    ).rejects.toThrow(/hashes to h1:xYrB.*, not h1:AAAA.* as pinned in pins\.ts/);
    const root = join(cache, "access-mode-conformance");
    await expect(access(toolchainDir(root, fakeVersion, "linux-amd64"))).rejects.toThrow();
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  });

  it("says why when GOPROXY names no proxy, or the platform has no pin", async () => {
    const cache = await cacheHome();
    const base = { version: fakeVersion, platform: "linux-amd64", sums: fakeSums };
    await expect(
      provideGo({ ...base, env: { PATH: noGoOnPath, GOPROXY: "off", XDG_CACHE_HOME: cache } }),
    ).rejects.toThrow(/no go on PATH, and GOPROXY=off names no proxy to fetch go1\.99\.0 from/);
    await expect(
      provideGo({ ...base, platform: "darwin-arm64", env: { PATH: noGoOnPath, XDG_CACHE_HOME: cache } }),
    ).rejects.toThrow(/no pinned Go toolchain for darwin-arm64/);
  });

  it("is not needed when PATH has a go that will do, and replaces one that will not", async () => {
    const bin = await scratchDir("amc-path-");
    // A stand-in go: `go version`, and `go env GOTOOLCHAIN` from FAKE_GOTOOLCHAIN.
    const fakeGo = (version: string) =>
      writeFile(
        join(bin, "go"),
        `#!/bin/sh\nif [ "$1" = env ]; then echo "$FAKE_GOTOOLCHAIN"; else echo "go version ${version} linux/amd64"; fi\n`,
        { mode: 0o755 },
      );
    const cache = await cacheHome();
    const options = { version: fakeVersion, platform: "linux-amd64", sums: fakeSums };
    const env = (path: string, gotoolchain: string) => ({
      PATH: path,
      GOPROXY: proxy,
      XDG_CACHE_HOME: cache,
      FAKE_GOTOOLCHAIN: gotoolchain,
    });

    await fakeGo("go1.99.2");
    expect(await provideGo({ ...options, env: env(bin, "local") })).toEqual({
      command: "go",
      env: {},
      description: "go1.99.2 on PATH",
    });
    await fakeGo("go1.24.4");
    expect(await provideGo({ ...options, env: env(`${bin}:`, "auto") })).toEqual({
      command: "go",
      env: {},
      description: "go1.24.4 on PATH (GOTOOLCHAIN=auto)",
    });
    const fetched = join(
      toolchainDir(join(cache, "access-mode-conformance"), fakeVersion, "linux-amd64"),
      "bin",
      "go",
    );
    // Debian's go, say: GOTOOLCHAIN=local keeps it at its own version.
    const local = await provideGo({ ...options, env: env(`${bin}::`, "local") });
    expect(local.command).toBe(fetched);
    expect(local.env.GOTOOLCHAIN).toBe("local");
    // Older than Go 1.21, it cannot switch at all; a GOTOOLCHAIN the user set is kept.
    await fakeGo("go1.19.8");
    const old = await provideGo({ ...options, env: { ...env(`${bin}:::`, ""), GOTOOLCHAIN: "auto" } });
    expect(old.command).toBe(fetched);
    expect(old.env.GOTOOLCHAIN).toBe("auto");
  });
});
