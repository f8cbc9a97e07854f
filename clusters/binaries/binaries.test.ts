import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { componentDir, newStagingDir, publish, readCompleteEntry, recipeKey } from "./cache.ts";
import { type Component, components } from "./components.ts";
import { goVersionOf, stagingReplaces, wrapperGoMod, wrapperSourceFiles } from "./go-build.ts";
import { pins, stagingVersion } from "./pins.ts";
import { resolveComponent } from "./resolve.ts";

/** A temporary directory, removed when the test that made it ends. */
async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const kubernetesGoMod = new URL("./testdata/kubernetes-v1.36.3.go.mod.txt", import.meta.url);

describe("version pins", () => {
  it("pins Kubernetes 1.36, etcd 3.6 and kwok 0.8", () => {
    expect(pins.kubernetes).toMatch(/^v1\.36\.\d+$/);
    expect(pins.etcd).toMatch(/^v3\.6\.\d+$/);
    expect(pins.kwok).toMatch(/^v0\.8\.\d+$/);
  });

  it("derives the staging modules' tag from the Kubernetes version", () => {
    expect(stagingVersion("v1.36.3")).toBe("v0.36.3");
    expect(() => stagingVersion("1.36.3")).toThrow(/not a Kubernetes release version/);
  });
});

describe("the Kubernetes wrapper module", () => {
  it("replaces every staging module of the upstream go.mod with its published tag", async () => {
    const replaces = stagingReplaces(await readFile(kubernetesGoMod, "utf8"), "v0.36.3");
    expect(replaces).toHaveLength(33);
    expect(replaces).toContain("\tk8s.io/api => k8s.io/api v0.36.3");
    expect(replaces).toContain("\tk8s.io/kubectl => k8s.io/kubectl v0.36.3");
    expect(replaces.join("\n")).not.toContain("./staging");
  });

  it("takes the go directive from the upstream go.mod", async () => {
    expect(goVersionOf(await readFile(kubernetesGoMod, "utf8"))).toBe("1.26.0");
  });

  it("writes a go.mod that requires the release and carries the replaces", () => {
    expect(
      wrapperGoMod("kube", "1.26.0", "k8s.io/kubernetes", "v1.36.3", ["\tk8s.io/api => k8s.io/api v0.36.3"]),
    ).toBe(
      "module amc.local/kube\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes v1.36.3\n\nreplace (\n\tk8s.io/api => k8s.io/api v0.36.3\n)\n",
    );
    expect(wrapperGoMod("etcd", "1.24", "go.etcd.io/etcd/server/v3", "v3.6.16", [])).not.toContain("replace");
  });
});

describe("the e2e.test test wrapper", () => {
  it("builds from our _test.go files, which the cache key covers, and no main.go", async () => {
    const recipe = components["kubernetes-e2e"].build;
    expect(recipe).toMatchObject({
      kind: "test-wrapper",
      module: "k8s.io/kubernetes",
      version: pins.kubernetes,
    });
    const sources = await wrapperSourceFiles(recipe);
    expect(sources.map((path) => path.split("/").slice(-2).join("/"))).toEqual(["kube-e2e/e2e_test.go"]);
    expect(await readFile(sources[0] ?? "", "utf8")).toContain("RunE2ETests");
  });

  it("keys a wrapper by its main.go and other recipes by nothing of ours", async () => {
    expect(
      (await wrapperSourceFiles(components.kubernetes.build)).map((p) => p.split("/").slice(-2).join("/")),
    ).toEqual(["kube/main.go"]);
    expect(await wrapperSourceFiles(components.ginkgo.build)).toEqual([]);
  });
});

describe("release downloads", () => {
  it("names the official URLs for the platform", () => {
    const kubernetes = components.kubernetes.release("linux-amd64");
    expect(kubernetes).toMatchObject({
      kind: "files",
      checksumSuffix: ".sha256",
      urls: {
        "kube-apiserver": `https://dl.k8s.io/release/${pins.kubernetes}/bin/linux/amd64/kube-apiserver`,
      },
    });
    expect(components.etcd.release("linux-arm64")).toMatchObject({
      kind: "tarball",
      url: `https://github.com/etcd-io/etcd/releases/download/${pins.etcd}/etcd-${pins.etcd}-linux-arm64.tar.gz`,
    });
    expect(components["csi-provisioner"].release("linux-amd64")).toBeUndefined();
    // e2e.test and ginkgo come from the release's test tarball.
    for (const [id, member] of [
      ["kubernetes-e2e", "e2e.test"],
      ["ginkgo", "ginkgo"],
    ] as const) {
      expect(components[id].release("linux-amd64")).toEqual({
        kind: "tarball",
        url: `https://dl.k8s.io/release/${pins.kubernetes}/kubernetes-test-linux-amd64.tar.gz`,
        members: { [member]: `kubernetes/test/bin/${member}` },
      });
    }
  });
});

describe("cache keys", () => {
  const kwok = components.kwok;

  it("are stable for the same recipe", () => {
    expect(recipeKey(kwok, "linux-amd64")).toBe(recipeKey(kwok, "linux-amd64"));
  });

  it("change with the version, the platform and the wrapper source", () => {
    const bumped: Component = {
      ...kwok,
      version: "v0.8.1",
      build: { kind: "install", packages: ["sigs.k8s.io/kwok/cmd/kwok"], version: "v0.8.1" },
    };
    const keys = new Set([
      recipeKey(kwok, "linux-amd64"),
      recipeKey(bumped, "linux-amd64"),
      recipeKey(kwok, "linux-arm64"),
      recipeKey(kwok, "linux-amd64", ["package main // changed"]),
    ]);
    expect(keys.size).toBe(4);
  });

  it("place each entry by component, version, platform and recipe", () => {
    expect(componentDir("/c", kwok, "linux-amd64", "abc")).toBe(`/c/bin/kwok/${pins.kwok}-linux-amd64-abc`);
  });
});

describe("cache entries", () => {
  async function publishedEntry() {
    const root = await scratchDir("amc-cache-");
    const staging = await newStagingDir(root, "kwok");
    await writeFile(join(staging, "kwok"), "#!/bin/sh\n", { mode: 0o755 });
    await writeFile(join(staging, "kwokctl"), "#!/bin/sh\necho kwokctl\n", { mode: 0o755 });
    const finalDir = componentDir(root, components.kwok, "linux-amd64", "k1");
    const entry = {
      component: "kwok",
      version: pins.kwok,
      platform: "linux-amd64",
      recipe: "k1",
      source: "go-build" as const,
      seconds: 1,
    };
    await publish(staging, finalDir, entry, ["kwok", "kwokctl"]);
    return { root, finalDir };
  }

  it("count once published with every file at its recorded size", async () => {
    const { finalDir } = await publishedEntry();
    const manifest = await readCompleteEntry(finalDir);
    expect(manifest?.files.kwokctl?.bytes).toBe("#!/bin/sh\necho kwokctl\n".length);
    expect(manifest?.files.kwokctl?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("do not count when a file was cut short or is missing", async () => {
    const { finalDir } = await publishedEntry();
    await truncate(join(finalDir, "kwokctl"), 3);
    expect(await readCompleteEntry(finalDir)).toBeUndefined();
  });

  it("do not count without a manifest (a build that stopped half-way)", async () => {
    const root = await scratchDir("amc-cache-");
    const half = componentDir(root, components.kwok, "linux-amd64", "k1");
    await mkdir(half, { recursive: true });
    await writeFile(join(half, "kwok"), "partial");
    expect(await readCompleteEntry(half)).toBeUndefined();
  });
});

describe("resolution order", () => {
  it("uses AMC_BIN_DIR first when it has every file", async () => {
    const dir = await scratchDir("amc-bin-");
    for (const name of ["kwok", "kwokctl"]) await writeFile(join(dir, name), "#!/bin/sh\n", { mode: 0o755 });
    const cache = await scratchDir("amc-xdg-");
    const resolved = await resolveComponent(components.kwok, {
      env: { AMC_BIN_DIR: dir, XDG_CACHE_HOME: cache },
    });
    expect(resolved).toMatchObject({ source: "user-dir", dir });
  });

  it("takes a complete cache entry next, without building or downloading", async () => {
    const cache = await scratchDir("amc-xdg-");
    const root = join(cache, "access-mode-conformance");
    const key = recipeKey(components["csi-spec"], "linux-amd64");
    const staging = await newStagingDir(root, "csi-spec");
    await writeFile(join(staging, "csi.proto"), 'syntax = "proto3";\n');
    const finalDir = componentDir(root, components["csi-spec"], "linux-amd64", key);
    const entry = {
      component: "csi-spec",
      version: pins.csiSpec,
      platform: "linux-amd64",
      recipe: key,
      source: "go-build" as const,
      seconds: 0,
    };
    await publish(staging, finalDir, entry, ["csi.proto"]);
    const resolved = await resolveComponent(components["csi-spec"], {
      env: { XDG_CACHE_HOME: cache, AMC_BIN_DIR: "/nonexistent" },
      platform: "linux-amd64",
    });
    expect(resolved).toMatchObject({ source: "cache", dir: finalDir });
  });
});
