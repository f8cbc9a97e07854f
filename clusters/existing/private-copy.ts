import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The run's own copy of the kubeconfig, in a directory only this user can
 * read (0700, the file 0600): it holds credentials. It is not put under the
 * report directory, which CI uploads as an artifact.
 */
export interface PrivateCopy {
  path: string;
  dir: string;
  remove(): Promise<void>;
}

export async function writePrivateCopy(text: string, root: string = tmpdir()): Promise<PrivateCopy> {
  const dir = await mkdtemp(join(root, "amc-kubeconfig-"));
  const path = join(dir, "kubeconfig");
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600); // whatever the umask
  return { path, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
