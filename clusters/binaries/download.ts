import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import type { ReleaseSource } from "./components.ts";

/**
 * Official release downloads. A machine without internet (or without DNS for
 * the release hosts) fails here within milliseconds; a host that accepts the
 * connection but stalls is given up after `connectTimeoutMs` without a response.
 */

const connectTimeoutMs = 15_000;

async function open(url: string): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no response from ${url} in ${connectTimeoutMs} ms`)),
    connectTimeoutMs,
  );
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: "follow" });
    if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
    return response;
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new Error(`GET ${url}: ${cause?.message ?? (error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

async function downloadTo(url: string, path: string): Promise<void> {
  const response = await open(url);
  await pipeline(
    Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
    createWriteStream(path),
  );
}

async function verifySha256(path: string, checksumUrl: string): Promise<void> {
  const expected = (await (await open(checksumUrl)).text()).trim().split(/\s+/)[0];
  const actual = createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
  if (expected !== actual)
    throw new Error(`${path}: SHA-256 ${actual} does not match ${checksumUrl} (${expected})`);
}

/** Puts the release's files into `dir`, executable; throws with the URL and reason on the first failure. */
export async function downloadRelease(source: ReleaseSource, dir: string): Promise<void> {
  if (source.kind === "files") {
    for (const [name, url] of Object.entries(source.urls)) {
      const path = join(dir, name);
      await downloadTo(url, path);
      if (source.checksumSuffix) await verifySha256(path, url + source.checksumSuffix);
      await chmod(path, 0o755);
    }
    return;
  }
  const archive = join(dir, ".release.tar.gz");
  await downloadTo(source.url, archive);
  const unpack = join(dir, ".unpacked");
  await mkdir(unpack);
  await execa("tar", ["-xzf", archive, "-C", unpack, ...Object.values(source.members)]);
  for (const [name, member] of Object.entries(source.members)) {
    await rename(join(unpack, member), join(dir, name));
  }
}
