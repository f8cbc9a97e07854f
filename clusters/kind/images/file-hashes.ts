import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256File } from "../../binaries/cache.ts";

/**
 * SHA-256 of the files the image keys hash (a few hundred MB of binaries and
 * node_modules), remembered across runs by path, size, modification time and
 * inode in <kind-images>/file-hashes.json: a reused cluster's set-up checks
 * its images in well under a second instead of re-reading them all. A file
 * that changed in any of those is hashed again; the memo is a cache only (a
 * missing or unreadable one is rebuilt).
 */

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

export class FileHashes {
  readonly #path: string;
  readonly #entries: Record<string, Entry>;
  #changed = false;

  private constructor(path: string, entries: Record<string, Entry>) {
    this.#path = path;
    this.#entries = entries;
  }

  static async open(dir: string): Promise<FileHashes> {
    const path = join(dir, "file-hashes.json");
    const entries = await readFile(path, "utf8")
      .then((text) => JSON.parse(text) as Record<string, Entry>)
      .catch(() => ({}));
    return new FileHashes(path, entries);
  }

  async hash(file: string): Promise<string> {
    const { size, mtimeMs, ino } = await stat(file);
    const known = this.#entries[file];
    if (known && known.size === size && known.mtimeMs === mtimeMs && known.ino === ino) return known.sha256;
    const sha256 = await sha256File(file);
    this.#entries[file] = { size, mtimeMs, ino, sha256 };
    this.#changed = true;
    return sha256;
  }

  async save(): Promise<void> {
    if (this.#changed) await writeFile(this.#path, JSON.stringify(this.#entries));
    this.#changed = false;
  }
}
