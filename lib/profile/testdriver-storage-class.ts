import type { V1StorageClass } from "@kubernetes/client-node";
import { UsageError } from "../errors.ts";
import type { Kube } from "../kube/client.ts";
import { ignoreNotFound } from "../kube/errors.ts";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_LABEL } from "../labels.ts";
import { type RunContext, runAnnotations, runLabels } from "../run.ts";
import type { StoredProfile, TestDriverStorageClass } from "./profile.ts";

/**
 * The StorageClasses a certify run creates for its test-driver files
 * (StorageClass.FromFile: the manifest's class; FromName: a class with
 * DriverInfo.Name as provisioner and no parameters), labelled as everything
 * the suite creates (lib/labels.ts) so that only the run that made them
 * removes them.
 * suites/global-setup.ts creates them before the run's preflight; they are
 * removed with the run's other objects (lib/cleanup.ts), by the run's end,
 * its guardian or `amc cleanup`.
 */

/** The classes to create, as stored with the run's profile. */
export function storageClassesToCreate(stored: StoredProfile | undefined): TestDriverStorageClass[] {
  return stored?.storageClassesToCreate ?? [];
}

/** The class as this run creates it: the suite's and the run's labels, the owner's annotations. */
export function labelledStorageClass(
  toCreate: TestDriverStorageClass,
  run: Pick<RunContext, "runId" | "owner" | "startedAt">,
): V1StorageClass {
  const { manifest } = toCreate;
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      labels: { ...manifest.metadata.labels, ...runLabels(run.runId) },
      annotations: { ...manifest.metadata.annotations, ...runAnnotations(run) },
    },
  } as V1StorageClass;
}

/**
 * Creates the run's classes, returning their names. A class of that name the
 * run did not create is never replaced: that is a usage error naming it
 * (another run's, or the user's own: then certify it by its name).
 */
export async function createTestDriverStorageClasses(
  kube: Pick<Kube, "storage">,
  stored: StoredProfile | undefined,
  run: Pick<RunContext, "runId" | "owner" | "startedAt">,
): Promise<string[]> {
  const created: string[] = [];
  for (const toCreate of storageClassesToCreate(stored)) {
    const name = toCreate.manifest.metadata.name;
    const existing = await kube.storage.readStorageClass({ name }).catch((error: { code?: number }) => {
      ignoreNotFound(error);
      return undefined;
    });
    if (existing) {
      const labels = existing.metadata?.labels ?? {};
      if (labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && labels[RUN_LABEL] === run.runId) continue;
      throw new UsageError(
        `${toCreate.from}: storage class ${name} already exists on the cluster, and this run did not create it: certify it as it is with StorageClass.FromExistingClassName: ${name}, or give the class to create another name`,
      );
    }
    await kube.storage.createStorageClass({ body: labelledStorageClass(toCreate, run) });
    created.push(name);
  }
  return created;
}
