import type { ClusterInfo } from "../clusters/types.ts";
import { removeLeftovers } from "./cleanup.ts";
import type { Kube } from "./kube/client.ts";
import { currentProcess } from "./processes.ts";
import { say } from "./progress.ts";
import { newRunId, type RunContext, thisHost } from "./run.ts";
import type { StorageProfile } from "./scenario/types.ts";
import {
  profileStorageClasses,
  type SchedulableNodes,
  schedulableNodes,
  storageClassesUnderTest,
} from "./storage/discover.ts";

/**
 * Everything a run needs before its first scenario, in order: its identity,
 * the removal of what crashed earlier runs left, the schedulable nodes, and a
 * profile of every storage class under test.
 */

export interface RunSettings {
  /** Classes to test; empty means every class of the cluster. */
  storageClasses: readonly string[];
  reportDir: string;
  image: string;
}

export interface PreparedRun {
  run: RunContext;
  nodes: SchedulableNodes;
  storage: StorageProfile[];
}

export async function newRunContext(settings: Pick<RunSettings, "reportDir" | "image">): Promise<RunContext> {
  return {
    runId: newRunId(),
    startedAt: new Date().toISOString(),
    owner: { host: thisHost(), ...(await currentProcess()) },
    reportDir: settings.reportDir,
    image: settings.image,
  };
}

export async function prepareRun(
  kube: Kube,
  cluster: ClusterInfo,
  run: RunContext,
  settings: RunSettings,
): Promise<PreparedRun> {
  const leftovers = await removeLeftovers(kube, run);
  if (leftovers.length > 0) say("setup", `removed what earlier runs left: ${leftovers.join(", ")}`);
  const nodes = await schedulableNodes(kube);
  for (const excluded of nodes.excluded)
    say("setup", `not placing pods on ${excluded.name}: ${excluded.why}`);
  const classes = await storageClassesUnderTest(kube, settings.storageClasses);
  const storage = await profileStorageClasses(kube, classes, nodes, run);
  say(
    "setup",
    `run ${run.runId} on ${cluster.provider} cluster ${cluster.name} (${cluster.fidelity} fidelity): ${storage.length} class(es), ${nodes.nodes.length} schedulable node(s)`,
  );
  return { run, nodes, storage };
}

export function listSetting(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}
