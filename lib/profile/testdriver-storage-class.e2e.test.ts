import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { removeRunObjects } from "../cleanup.ts";
import { UsageError } from "../errors.ts";
import { connect } from "../kube/client.ts";
import { newRunContext } from "../prepare-run.ts";
import { loadCertifyInput } from "./testdriver-merge.ts";
import { createTestDriverStorageClasses } from "./testdriver-storage-class.ts";

/**
 * The class of an upstream test-driver file with StorageClass.FromFile,
 * against a real API server: created with a run's labels, found again by a
 * retried set-up, removed with the run's objects, and never put in place of
 * a class the run did not make.
 */

const cluster = inject("cluster");
const run = inject("run");
const kube = connect(cluster.kubeconfigPath);
const scratch = await mkdtemp(join(tmpdir(), "amc-testdriver-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function testDriverFor(className: string): Promise<string> {
  const dir = await mkdtemp(join(scratch, "file-"));
  await writeFile(
    join(dir, "storageclass.yaml"),
    `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ${className}\nprovisioner: amc-block.csi.test\nvolumeBindingMode: WaitForFirstConsumer\n`,
  );
  const file = join(dir, "test-driver.yaml");
  await writeFile(
    file,
    "StorageClass:\n  FromFile: storageclass.yaml\nDriverInfo:\n  Name: amc-block.csi.test\n  Capabilities:\n    multipods: true\n",
  );
  return file;
}

describe("a test-driver file's FromFile class", () => {
  it("is created with the run's labels, and removed with the run's objects", async ({ task }) => {
    const own = await newRunContext({ reportDir: run.reportDir, image: run.image });
    const name = `amc-fromfile-${own.runId.slice(-4)}`;
    const { stored } = await loadCertifyInput([await testDriverFor(name)]);
    try {
      expect(await createTestDriverStorageClasses(kube, stored, own)).toEqual([name]);
      const created = await kube.storage.readStorageClass({ name });
      expect(created.provisioner).toBe("amc-block.csi.test");
      expect(created.metadata?.labels).toMatchObject({ "access-mode-conformance/run": own.runId });
      // A retried set-up finds the run's own class.
      expect(await createTestDriverStorageClasses(kube, stored, own)).toEqual([]);
      expect(await removeRunObjects(kube, own.runId)).toEqual([`storageclass ${name}`]);
      const gone = await kube.storage.readStorageClass({ name }).catch((e: { code?: number }) => e.code);
      expect(gone, task.name).toBe(404);
    } finally {
      await kube.storage.deleteStorageClass({ name }).catch(() => undefined);
    }
  });

  it("never replaces a class of that name the run did not create", async () => {
    const own = await newRunContext({ reportDir: run.reportDir, image: run.image });
    const { stored } = await loadCertifyInput([await testDriverFor("amc-block")]);
    const error = await createTestDriverStorageClasses(kube, stored, own).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /storage class amc-block already exists on the cluster, and this run did not create it/,
    );
    expect(
      (await kube.storage.readStorageClass({ name: "amc-block" })).metadata?.labels?.[
        "access-mode-conformance/run"
      ],
    ).toBeUndefined();
  });
});
