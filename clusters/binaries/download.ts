import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
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
/** A transfer that delivers nothing for this long is given up (it would hold the component lock forever). */
const defaultIdleTimeoutMs = 60_000;

async function open(url: string, signal?: AbortSignal): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no response from ${url} in ${connectTimeoutMs} ms`)),
    connectTimeoutMs,
  );
  signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  let response: Response;
  try {
    response = await fetch(url, { signal: controller.signal, redirect: "follow" });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new Error(`GET ${url}: ${cause?.message ?? (error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response;
}

export interface DownloadOptions {
  /** A transfer that delivers nothing for this long is given up. */
  idleTimeoutMs?: number;
  /** Called with the bytes received so far, and the total when the server announced it. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * Downloads `url` into the file `path`. A response that announced its length
 * must deliver exactly that many bytes, or the download fails.
 */
export async function downloadFile(url: string, path: string, options: DownloadOptions = {}): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs;
  const transfer = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const stillAlive = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => transfer.abort(new Error(`GET ${url}: no data for ${idleTimeoutMs} ms`)),
      idleTimeoutMs,
    );
  };
  stillAlive();
  try {
    const response = await open(url, transfer.signal);
    // fetch() decodes a Content-Encoding, after which Content-Length no longer counts the bytes.
    const encoding = response.headers.get("content-encoding") ?? "identity";
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    const total = encoding === "identity" && Number.isSafeInteger(length) ? length : undefined;
    let received = 0;
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
    body.on("data", (chunk: Buffer) => {
      stillAlive();
      received += chunk.length;
      options.onProgress?.(received, total);
    });
    await pipeline(body, createWriteStream(path), { signal: transfer.signal });
    if (total !== undefined && received !== total) {
      throw new Error(`GET ${url}: the transfer ended after ${received} of ${total} bytes`);
    }
  } catch (error) {
    throw transfer.signal.aborted ? transfer.signal.reason : error;
  } finally {
    clearTimeout(idle);
  }
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
export async function downloadRelease(
  source: ReleaseSource,
  dir: string,
  idleTimeoutMs = defaultIdleTimeoutMs,
): Promise<void> {
  if (source.kind === "files") {
    for (const [name, url] of Object.entries(source.urls)) {
      const path = join(dir, name);
      await downloadFile(url, path, { idleTimeoutMs });
      if (source.checksumSuffix) await verifySha256(path, url + source.checksumSuffix);
      await chmod(path, 0o755);
    }
    return;
  }
  const archive = join(dir, ".release.tar.gz");
  await downloadFile(source.url, archive, { idleTimeoutMs });
  const unpack = join(dir, ".unpacked");
  await mkdir(unpack);
  await execa("tar", ["-xzf", archive, "-C", unpack, ...Object.values(source.members)]);
  for (const [name, member] of Object.entries(source.members)) {
    await rename(join(unpack, member), join(dir, name));
  }
  await rm(archive, { force: true });
  await rm(unpack, { recursive: true, force: true });
}
