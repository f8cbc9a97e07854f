import { chmod, copyFile, cp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { heartbeat } from "../../lib/progress.ts";
import { makeWritable } from "./cache.ts";
import type { Component, GoRecipe } from "./components.ts";
import { type GoCommand, provideGo } from "./go-toolchain.ts";
import { sourceArchivePath } from "./upstream-src.ts";

/**
 * Builds a component from source fetched through the Go module proxy, with a
 * status line every 15 s (`go build -v` names each package it compiles, which
 * gives a count to show). Build directories are temporary; the Go module and
 * build caches are Go's own (GOMODCACHE, GOCACHE), shared with the user's.
 * Every go command runs the go of go-toolchain.ts (PATH's, or one fetched
 * through the Go module proxy).
 */

const wrapperSources = fileURLToPath(new URL("./go/", import.meta.url));

export function wrapperMainPath(dir: string): string {
  return join(wrapperSources, dir, "main.go");
}

/**
 * The Go files of ours a recipe builds (a wrapper's main.go, a test
 * wrapper's _test.go files), sorted: what they say is part of the cache key.
 */
export async function wrapperSourceFiles(recipe: GoRecipe): Promise<string[]> {
  switch (recipe.kind) {
    case "wrapper":
      return [wrapperMainPath(recipe.dir)];
    case "test-wrapper": {
      const dir = join(wrapperSources, recipe.dir);
      return (await readdir(dir))
        .filter((name) => name.endsWith("_test.go"))
        .sort()
        .map((name) => join(dir, name));
    }
    default:
      return [];
  }
}

interface ModuleInfo {
  Dir: string;
  GoMod: string;
  Error?: string;
}

/** `go mod download` of one module version; `go` defaults to provideGo()'s. */
export async function downloadModule(
  module: string,
  version: string,
  cwd: string,
  go?: GoCommand,
): Promise<ModuleInfo> {
  const { command, env } = go ?? (await provideGo());
  const { stdout, stderr } = await execa(command, ["mod", "download", "-json", `${module}@${version}`], {
    cwd,
    env,
    reject: false,
  });
  if (stdout.trim() === "") throw new Error(`go mod download ${module}@${version}: ${stderr.trim()}`);
  const info = JSON.parse(stdout) as ModuleInfo;
  if (info.Error) throw new Error(`go mod download ${module}@${version}: ${info.Error}`);
  return info;
}

/**
 * The replace block for a module of ours that requires k8s.io/kubernetes:
 * upstream replaces each staging module with ./staging/...; we point each at
 * its published tag instead.
 */
export function stagingReplaces(upstreamGoMod: string, stagingVersion: string): string[] {
  const modules = [...upstreamGoMod.matchAll(/^\s*(k8s\.io\/\S+)\s+=>\s+\.\/staging\/\S+\s*$/gm)].map(
    (m) => m[1],
  );
  return modules.map((module) => `\t${module} => ${module} ${stagingVersion}`);
}

export function goVersionOf(goMod: string): string {
  return /^go\s+(\S+)\s*$/m.exec(goMod)?.[1] ?? "1.24";
}

export function wrapperGoMod(
  name: string,
  goVersion: string,
  module: string,
  version: string,
  replaces: string[],
) {
  const replaceBlock = replaces.length > 0 ? `\nreplace (\n${replaces.join("\n")}\n)\n` : "";
  return `module amc.local/${name}\n\ngo ${goVersion}\n\nrequire ${module} ${version}\n${replaceBlock}`;
}

/** Runs a go command, counting compiled packages for the status line; keeps the output tail for errors. */
async function runGo(
  go: GoCommand,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  status: (line: string) => void,
) {
  const tail: string[] = [];
  const child = execa(go.command, args, {
    cwd,
    env: { CGO_ENABLED: "0", ...go.env, ...env },
    all: true,
    reject: false,
  });
  child.all?.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      status(line);
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  const result = await child;
  if (result.exitCode !== 0) {
    throw new Error(`go ${args.join(" ")} failed (exit ${result.exitCode}) in ${cwd}:\n${tail.join("\n")}`);
  }
}

const compileFlags = (ldflags: readonly string[]) => [
  "-trimpath",
  "-ldflags",
  ["-s", "-w", ...ldflags].join(" "),
];
/** `-v` names each package as it is compiled: the count on the status line. */
const buildFlags = (ldflags: readonly string[]) => ["-v", ...compileFlags(ldflags)];

/**
 * Writes the generated module of a wrapper or test wrapper into `workDir`: a
 * go.mod requiring the upstream release (with the staging replaces), and our
 * Go files.
 */
async function writeWrapperModule(
  recipe: Extract<GoRecipe, { kind: "wrapper" | "test-wrapper" }>,
  workDir: string,
  go: GoCommand,
): Promise<void> {
  const upstream = await downloadModule(recipe.module, recipe.version, workDir, go);
  const upstreamGoMod = await readFile(upstream.GoMod, "utf8");
  const replaces = recipe.replaceStaging ? stagingReplaces(upstreamGoMod, recipe.replaceStaging) : [];
  for (const source of await wrapperSourceFiles(recipe)) {
    await copyFile(source, join(workDir, basename(source)));
  }
  await writeFile(
    join(workDir, "go.mod"),
    wrapperGoMod(recipe.dir, goVersionOf(upstreamGoMod), recipe.module, recipe.version, replaces),
  );
}

/** The packages a test package's tests import (internal and external tests). */
async function testImports(go: GoCommand, cwd: string): Promise<string[]> {
  const format = "{{range .TestImports}}{{.}} {{end}}{{range .XTestImports}}{{.}} {{end}}";
  const { stdout } = await execa(go.command, ["list", "-f", format, "."], {
    cwd,
    env: { CGO_ENABLED: "0", ...go.env },
  });
  return [...new Set(stdout.split(/\s+/).filter(Boolean))].sort();
}

export async function goBuild(
  component: Component,
  workDir: string,
  outDir: string,
  scope: string,
  go: GoCommand,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const recipe: GoRecipe = component.build;
  let packages = 0;
  /** What the build does after compiling, when that takes long (linking a test binary). */
  let phase = "";
  const count = (line: string) => {
    if (!line.startsWith("go: ") && !line.startsWith("#")) packages++;
  };
  const stop = heartbeat(
    scope,
    (elapsed) =>
      `building ${component.id} ${component.version} with go: ${elapsed}, ${packages} packages compiled${phase ? `, ${phase}` : ""}`,
  );
  try {
    switch (recipe.kind) {
      case "wrapper": {
        await writeWrapperModule(recipe, workDir, go);
        await runGo(go, ["mod", "tidy"], workDir, {}, count);
        await runGo(
          go,
          ["build", ...buildFlags(recipe.ldflags), "-o", join(outDir, recipe.binary), "."],
          workDir,
          {},
          count,
        );
        for (const link of recipe.links) await symlink(recipe.binary, join(outDir, link));
        return;
      }
      case "test-wrapper": {
        await writeWrapperModule(recipe, workDir, go);
        await runGo(go, ["mod", "tidy"], workDir, {}, count);
        // `go test -c` names no package it compiles: build what the tests import first
        // (`go build -v` does, for the status line), then the test binary from Go's build cache.
        await runGo(
          go,
          ["build", ...buildFlags([]), ...(await testImports(go, workDir))],
          workDir,
          {},
          count,
        );
        phase = `compiling the tests and linking ${recipe.binary}`;
        await runGo(
          go,
          ["test", "-c", ...compileFlags(recipe.ldflags), "-o", join(outDir, recipe.binary), "."],
          workDir,
          {},
          count,
        );
        return;
      }
      case "install": {
        const targets = recipe.packages.map((pkg) => `${pkg}@${recipe.version}`);
        await runGo(go, ["install", ...buildFlags([]), ...targets], workDir, { GOBIN: outDir }, count);
        return;
      }
      case "in-module": {
        const upstream = await downloadModule(recipe.module, recipe.version, workDir, go);
        const source = join(workDir, "src");
        // The module cache is read-only; go build may write go.sum updates.
        await cp(upstream.Dir, source, { recursive: true });
        await makeWritable(source);
        for (const [binary, pkg] of Object.entries(recipe.packages)) {
          // Module zips leave vendor/ out, but a leftover vendor directory would
          // still switch go to -mod=vendor: resolve from go.mod instead.
          await runGo(
            go,
            ["build", "-mod=mod", ...buildFlags(recipe.ldflags), "-o", join(outDir, binary), pkg],
            source,
            {},
            count,
          );
        }
        return;
      }
      case "source-archive": {
        const archive = await sourceArchivePath(recipe.archive, env);
        await execa("tar", ["-xzf", archive, "-C", workDir]);
        const source = join(workDir, recipe.archive.topDir);
        for (const [binary, pkg] of Object.entries(recipe.packages)) {
          // Offline: the archive's vendor/ holds every dependency, and no proxy is asked.
          await runGo(
            go,
            ["build", "-mod=vendor", ...buildFlags(recipe.ldflags), "-o", join(outDir, binary), pkg],
            source,
            { GOPROXY: "off", GOFLAGS: "-mod=vendor" },
            count,
          );
        }
        return;
      }
      case "module-files": {
        const upstream = await downloadModule(recipe.module, recipe.version, workDir, go);
        for (const [name, path] of Object.entries(recipe.files)) {
          await copyFile(join(upstream.Dir, path), join(outDir, name));
          await chmod(join(outDir, name), 0o644);
        }
        return;
      }
    }
  } finally {
    stop();
  }
}
