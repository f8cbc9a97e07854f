import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { downloadRelease } from "./download.ts";

/** A temporary directory, removed when the test that made it ends. */
async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Release downloads against a real HTTP server on loopback (no release host is reachable from CI). */

const binary = Buffer.from("#!/bin/sh\necho kube-apiserver\n");
const digest = createHash("sha256").update(binary).digest("hex");
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/kube-apiserver") return response.end(binary);
    if (request.url === "/kube-apiserver.sha256") return response.end(`${digest}\n`);
    if (request.url === "/bad.sha256") return response.end(`${"0".repeat(64)}\n`);
    if (request.url === "/bad") return response.end(binary);
    if (request.url === "/stall") {
      response.writeHead(200);
      response.write("#!/bin/sh\n"); // then nothing more
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("release downloads", () => {
  it("fetch each file, check its published SHA-256 and make it executable", async () => {
    const dir = await scratchDir("amc-dl-");
    await downloadRelease(
      { kind: "files", urls: { "kube-apiserver": `${base}/kube-apiserver` }, checksumSuffix: ".sha256" },
      dir,
    );
    expect(await readFile(join(dir, "kube-apiserver"))).toEqual(binary);
    expect((await stat(join(dir, "kube-apiserver"))).mode & 0o111).not.toBe(0);
  });

  it("refuse a file whose SHA-256 does not match", async () => {
    const dir = await scratchDir("amc-dl-");
    const source = {
      kind: "files" as const,
      urls: { "kube-apiserver": `${base}/bad` },
      checksumSuffix: ".sha256",
    };
    await expect(downloadRelease(source, dir)).rejects.toThrow(/SHA-256 .* does not match/);
  });

  it("give up a transfer that stalls, instead of holding the lock forever", async () => {
    const dir = await scratchDir("amc-dl-");
    await expect(
      downloadRelease({ kind: "files", urls: { kwok: `${base}/stall` } }, dir, 300),
    ).rejects.toThrow(/no data for 300 ms/);
  });

  it("fail, naming the URL, where the host does not resolve", async () => {
    const dir = await scratchDir("amc-dl-");
    await expect(
      downloadRelease({ kind: "files", urls: { kwok: "http://release.invalid/kwok" } }, dir),
    ).rejects.toThrow(/GET http:\/\/release\.invalid\/kwok: /);
  });
});
