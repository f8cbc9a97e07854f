import { parseArgs } from "node:util";
import { UsageError } from "../../lib/errors.ts";

/**
 * The suite's CSI driver: a small storage backend that speaks CSI over a unix
 * socket to the real kubernetes-csi sidecars (external-provisioner,
 * external-attacher). One process serves one driver name; its flags choose the
 * family of real storage it stands for:
 *  - attach on, topology off, single-node modes: network block storage;
 *  - topology on (volumes pinned to the node chosen for the first consumer): node-local storage;
 *  - attach off, every mode: file storage without attach (NFS-like).
 */

/** CSI access modes (csi.proto VolumeCapability.AccessMode.Mode). */
export const csiAccessModes = [
  "SINGLE_NODE_WRITER",
  "SINGLE_NODE_READER_ONLY",
  "MULTI_NODE_READER_ONLY",
  "MULTI_NODE_SINGLE_WRITER",
  "MULTI_NODE_MULTI_WRITER",
  "SINGLE_NODE_SINGLE_WRITER",
  "SINGLE_NODE_MULTI_WRITER",
] as const;
export type CsiAccessMode = (typeof csiAccessModes)[number];

export const singleNodeModes: readonly CsiAccessMode[] = [
  "SINGLE_NODE_WRITER",
  "SINGLE_NODE_READER_ONLY",
  "SINGLE_NODE_SINGLE_WRITER",
  "SINGLE_NODE_MULTI_WRITER",
];

export interface DriverConfig {
  /** The CSI driver name (CSIDriver object, StorageClass provisioner). */
  name: string;
  /** Path of the unix socket to serve on. */
  socket: string;
  /** Where volume records live (and, for real kubelets, the volumes' data). */
  stateDir: string;
  /** csi.proto of the pinned CSI spec (provisioned like the upstream binaries). */
  csiProto: string;
  /** Advertise PUBLISH_UNPUBLISH_VOLUME: the control plane attaches volumes to nodes. */
  attach: boolean;
  /** When set, every volume is pinned to the node named by this topology key. */
  topologyKey?: string;
  /** The CSI access modes CreateVolume accepts; others are refused with INVALID_ARGUMENT. */
  accessModes: readonly CsiAccessMode[];
}

export const usage = `usage: node clusters/csi-driver/main.ts --name NAME --socket PATH --state-dir DIR --csi-proto FILE
  [--attach] [--topology-key KEY] [--access-modes MODE,MODE,...]
access modes: ${csiAccessModes.join(", ")} (default: all)`;

export function parseDriverArgs(argv: readonly string[]): DriverConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      name: { type: "string" },
      socket: { type: "string" },
      "state-dir": { type: "string" },
      "csi-proto": { type: "string" },
      attach: { type: "boolean", default: false },
      "topology-key": { type: "string" },
      "access-modes": { type: "string" },
    },
    strict: true,
  });
  const missing = (["name", "socket", "state-dir", "csi-proto"] as const).filter((flag) => !values[flag]);
  if (missing.length > 0) throw new UsageError(`missing --${missing.join(", --")}\n${usage}`);
  const modes = values["access-modes"]
    ? values["access-modes"].split(",").map((m) => m.trim())
    : [...csiAccessModes];
  const unknown = modes.filter((m) => !(csiAccessModes as readonly string[]).includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown access mode(s) ${unknown.join(", ")}\n${usage}`);
  return {
    name: values.name as string,
    socket: values.socket as string,
    stateDir: values["state-dir"] as string,
    csiProto: values["csi-proto"] as string,
    attach: values.attach ?? false,
    ...(values["topology-key"] ? { topologyKey: values["topology-key"] } : {}),
    accessModes: modes as CsiAccessMode[],
  };
}

/** The flags that produce `config` (the inverse of parseDriverArgs; the local provider starts drivers with it). */
export function driverArgs(config: DriverConfig): string[] {
  return [
    `--name=${config.name}`,
    `--socket=${config.socket}`,
    `--state-dir=${config.stateDir}`,
    `--csi-proto=${config.csiProto}`,
    ...(config.attach ? ["--attach"] : []),
    ...(config.topologyKey ? [`--topology-key=${config.topologyKey}`] : []),
    `--access-modes=${config.accessModes.join(",")}`,
  ];
}
