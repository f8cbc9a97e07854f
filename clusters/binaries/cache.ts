import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { pidAlive } from "../../lib/processes.ts";
import type { Component } from "./components.ts";

/**
 * Cache layout: `<root>/bin/<component>/<version>-<platform>-<recipe>/`.
 * A directory only appears there by an atomic rename of a finished staging
 * directory, and it counts only with its manifest and every file it lists at
 * the recorded size: a half-finished build is never taken for a finished one.
 */

export const MANIFEST = ".amc-component.json";

export type Source = "user-dir" | "cache" | "release-download" | "go-build";

export interface Manifest {
  component: string;
  version: string;
  platform: string;
  recipe: string;
  source: Exclude<Source, "cache" | "user-dir">;
  files: Record<string, { sha256: string; bytes: number }>;
  createdAt: string;
  seconds: number;
}

/** A short digest of everything that decides what a component's files contain. */
export function recipeKey(
  component: Component,
  platform: string,
  extraInputs: readonly string[] = [],
): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ build: component.build, release: component.release(platform) ?? null }));
  for (const input of extraInputs) hash.update(input);
  return hash.digest("hex").slice(0, 12);
}

export function componentDir(root: string, component: Component, platform: string, recipe: string): string {
  return join(root, "bin", component.id, `${component.version}-${platform}-${recipe}`);
}

/** The manifest of a complete cache entry, or undefined when the entry is absent or incomplete. */
export async function readCompleteEntry(dir: string): Promise<Manifest | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  for (const [name, { bytes }] of Object.entries(manifest.files)) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info || info.size !== bytes) return undefined;
  }
  return manifest;
}

/**
 * Removes staging directories whose process is gone (a build that was
 * killed); they are named <id>-<pid>-<random>.
 */
export async function removeAbandonedStaging(root: string): Promise<void> {
  const tmp = join(root, "tmp");
  for (const entry of await readdir(tmp).catch(() => [] as string[])) {
    const pid = Number(entry.split("-").at(-2));
    if (Number.isInteger(pid) && !(await pidAlive(pid))) {
      await removeWorkDir(join(tmp, entry)); // Go leaves read-only trees
    }
  }
}

/** Gives the owner write permission throughout `dir` (Go's module cache, and copies of it, are read-only). */
export async function makeWritable(dir: string): Promise<void> {
  await execa("chmod", ["-R", "u+w", dir], { reject: false });
}

export async function removeWorkDir(dir: string): Promise<void> {
  await makeWritable(dir); // copies of module-cache trees are read-only
  await rm(dir, { recursive: true, force: true });
}

export async function newStagingDir(root: string, id: string): Promise<string> {
  const dir = join(root, "tmp", `${id}-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Writes the manifest into the staging directory, then renames it to its
 * final place. If another process published the same entry first, ours is dropped.
 */
export async function publish(
  staging: string,
  finalDir: string,
  entry: Omit<Manifest, "files" | "createdAt">,
  files: readonly string[],
): Promise<Manifest> {
  const recorded: Manifest["files"] = {};
  for (const name of files) {
    const path = join(staging, name);
    recorded[name] = { sha256: await sha256File(path), bytes: (await stat(path)).size };
  }
  const manifest: Manifest = { ...entry, files: recorded, createdAt: new Date().toISOString() };
  await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  await mkdir(join(finalDir, ".."), { recursive: true });
  try {
    await rename(staging, finalDir);
  } catch (error) {
    if (!(await readCompleteEntry(finalDir))) throw error;
    await rm(staging, { recursive: true, force: true });
  }
  return manifest;
}
