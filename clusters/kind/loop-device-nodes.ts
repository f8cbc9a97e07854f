import { execa } from "execa";

/**
 * Raw block volumes on kind: the suite's CSI node plugin backs each by a loop
 * device, and the kubelet holds every mapped device open through one more
 * (its fd lock on the global map path). A kind node's /dev is a copy made when
 * its container started: it has the loop devices the host had then (8 here),
 * and a loop device the kernel adds later has no node in it, so losetup there
 * fails. Creating the nodes up front lets the kernel add devices on demand
 * (opening /dev/loopN, or LOOP_CTL_GET_FREE) up to this many, machine-wide.
 */
export const LOOP_DEVICE_NODES = 128;

/** The shell that creates the missing /dev/loopN nodes (block major 7) in a node. */
export const loopNodesScript = `i=0; while [ $i -lt ${LOOP_DEVICE_NODES} ]; do [ -e /dev/loop$i ] || mknod -m 0660 /dev/loop$i b 7 $i; i=$((i+1)); done`;

/** Creates the missing loop device nodes in every node container (idempotent: a reused cluster is done again). */
export async function ensureLoopDeviceNodes(nodes: readonly { name: string }[]): Promise<void> {
  await Promise.all(nodes.map((node) => execa("docker", ["exec", node.name, "sh", "-c", loopNodesScript])));
}

/**
 * Detaches the loop devices of the cluster's raw block volumes: they belong to
 * the machine's one kernel and would outlive the node containers (a run
 * stopped mid-case leaves them attached). The backing files are where the
 * node plugin keeps volume data (/var/lib/amc-csi/<local|shared>/<class>/).
 */
export const detachVolumeLoopsScript = [
  'for f in /var/lib/amc-csi/*/*/*.img; do [ -e "$f" ] || continue',
  'losetup --list --noheadings --output NAME --associated "$f" | while read -r d; do losetup --detach "$d"; done',
  "done; true",
].join("; ");

/** Best effort, before the cluster is deleted: a node that cannot be reached is no reason to keep the cluster. */
export async function detachVolumeLoopDevices(nodes: readonly { name: string }[]): Promise<void> {
  await Promise.all(
    nodes.map((node) =>
      execa("docker", ["exec", node.name, "sh", "-c", detachVolumeLoopsScript], { reject: false }),
    ),
  );
}
