import type { V1StorageClass } from "@kubernetes/client-node";
import { removeLeftovers } from "./cleanup.ts";
import type { ClusterInfo } from "./cluster/contract.ts";
import type { Kube } from "./kube/client.ts";
import { currentProcess } from "./processes.ts";
import { say } from "./progress.ts";
import { newRunId, type RunContext, thisHost } from "./run.ts";
import { type NodePool, placementGate } from "./scenario/nodes.ts";
import type { StorageProfile } from "./scenario/types.ts";
import type { PodIdentity } from "./settings.ts";
import { profileStorageClasses, schedulableNodes, storageClassesUnderTest } from "./storage/discover.ts";

/**
 * Everything a run needs before its first scenario, in order: its identity,
 * the preflight of what was asked for (classes and nodes exist, before
 * anything is created or removed), the removal of what crashed earlier runs
 * left, and a profile of every storage class under test.
 */

/** What the preparation reads of the settings (lib/settings.ts): the classes and the nodes asked for (empty: all). */
export interface RunSettings {
  storageClasses: readonly string[];
  nodes?: readonly string[];
}

export interface PreparedRun {
  run: RunContext;
  nodes: NodePool;
  storage: StorageProfile[];
  /** The probe namespace's removal, under way while the first cases run: await it before the run's end. */
  probeRemoval: Promise<void>;
}

export async function newRunContext(settings: {
  reportDir: string;
  image: string;
  pod?: PodIdentity;
}): Promise<RunContext> {
  return {
    runId: newRunId(),
    startedAt: new Date().toISOString(),
    owner: {
      host: thisHost(),
      ...(await currentProcess()),
      ...(settings.pod ? { pod: settings.pod } : {}),
    },
    reportDir: settings.reportDir,
    image: settings.image,
  };
}

export interface Preflight {
  classes: V1StorageClass[];
  nodes: NodePool;
  /** What the run will not do on this cluster, and why (e.g. cross-node scenarios on one node). */
  notes: string[];
}

/**
 * The run's inputs against the cluster: the storage classes asked for exist
 * (UsageError listing the cluster's classes), the nodes named exist and take
 * pods (UsageError naming the cluster's nodes), some node takes pods
 * (InfrastructureError). Fewer than two nodes is no error: cross-node
 * scenarios are then not applicable, and the run says so here and in their records.
 */
export async function preflightRun(kube: Kube, settings: RunSettings): Promise<Preflight> {
  const classes = await storageClassesUnderTest(kube, settings.storageClasses);
  const nodes = await schedulableNodes(kube, settings.nodes ?? []);
  const notes: string[] = [];
  const crossNode = placementGate(nodes.nodes, "cross-node", nodes);
  if (crossNode) notes.push(`cross-node scenarios are not applicable: ${crossNode}`);
  return { classes, nodes, notes };
}

export async function prepareRun(
  kube: Kube,
  cluster: ClusterInfo,
  run: RunContext,
  settings: RunSettings,
): Promise<PreparedRun> {
  const { classes, nodes, notes } = await preflightRun(kube, settings);
  for (const excluded of nodes.excluded)
    say("setup", `not placing pods on ${excluded.name}: ${excluded.why}`);
  for (const note of notes) say("setup", note);
  const leftovers = await removeLeftovers(kube, run);
  if (leftovers.length > 0) say("setup", `removed what earlier runs left: ${leftovers.join(", ")}`);
  const { storage, removal } = await profileStorageClasses(kube, classes, nodes, run);
  say(
    "setup",
    `run ${run.runId} on ${cluster.provider} cluster ${cluster.name} (${cluster.fidelity} fidelity): ${storage.length} class(es), ${nodes.nodes.length} schedulable node(s)${nodes.named ? " named in AMC_NODES" : ""}`,
  );
  return { run, nodes, storage, probeRemoval: removal };
}
