import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Volume records of one driver, one JSON file each under `<stateDir>/volumes`,
 * so that a restarted driver knows what it provisioned and where it is published.
 */

export interface VolumeRecord {
  id: string;
  /** The name the provisioner asked for (pvc-<uid>); CreateVolume is idempotent on it. */
  name: string;
  capacityBytes: number;
  /** Topology segments the volume is reachable from, when the driver pins volumes. */
  topology?: Record<string, string>;
  /** Nodes the volume is published (attached) to through ControllerPublishVolume. */
  publishedTo: string[];
  createdAt: string;
}

export class VolumeStore {
  private readonly dir: string;
  private readonly volumes = new Map<string, VolumeRecord>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, "volumes");
    mkdirSync(this.dir, { recursive: true });
    for (const file of readdirSync(this.dir).filter((f) => f.endsWith(".json"))) {
      const record = JSON.parse(readFileSync(join(this.dir, file), "utf8")) as VolumeRecord;
      this.volumes.set(record.id, record);
    }
  }

  get(id: string): VolumeRecord | undefined {
    return this.volumes.get(id);
  }

  byName(name: string): VolumeRecord | undefined {
    return [...this.volumes.values()].find((v) => v.name === name);
  }

  create(fields: Omit<VolumeRecord, "id" | "publishedTo" | "createdAt">): VolumeRecord {
    const record: VolumeRecord = {
      ...fields,
      id: randomUUID(),
      publishedTo: [],
      createdAt: new Date().toISOString(),
    };
    this.save(record);
    return record;
  }

  save(record: VolumeRecord): void {
    const path = join(this.dir, `${record.id}.json`);
    writeFileSync(`${path}.tmp`, JSON.stringify(record));
    renameSync(`${path}.tmp`, path);
    this.volumes.set(record.id, record);
  }

  delete(id: string): void {
    rmSync(join(this.dir, `${id}.json`), { force: true });
    this.volumes.delete(id);
  }
}
