import type { TestProject } from "vitest/node";
import { acquireCluster } from "../clusters/acquire.ts";
import type { ClusterInfo } from "../clusters/types.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

/**
 * Runs once before the end-to-end suites: brings up (or finds) the cluster and
 * hands its description to every test file; gives it back afterwards.
 */
export default async function setup(project: TestProject) {
  const handle = await acquireCluster();
  const { release, ...info } = handle;
  project.provide("cluster", info);
  return async () => {
    await release();
  };
}
