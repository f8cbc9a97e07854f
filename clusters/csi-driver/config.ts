import { parseArgs } from "node:util";
import { UsageError } from "../../lib/errors.ts";
import { type CsiCode, CsiError } from "./csi-error.ts";

/**
 * The suite's CSI driver: a small storage backend that speaks CSI over a unix
 * socket to the real kubernetes-csi sidecars (external-provisioner,
 * external-attacher) and, as the node plugin, to real kubelets. One process
 * serves one driver name; its flags choose the family of real storage it
 * stands for:
 *  - attach on, topology off, single-node modes: network block storage;
 *  - topology on (volumes pinned to the node chosen for the first consumer): node-local storage;
 *  - attach off, every mode: file storage without attach (NFS-like).
 * On nodes, a volume's data is a directory bind-mounted into the pods: shared
 * by all nodes for network-like storage, node-local for node-local storage.
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

/** Which CSI services a process serves besides Identity. */
export const driverModes = ["controller", "node", "all"] as const;
export type DriverMode = (typeof driverModes)[number];

export interface DriverConfig {
  /** The CSI driver name (CSIDriver object, StorageClass provisioner). */
  name: string;
  /** Path of the unix socket to serve on. */
  socket: string;
  /** csi.proto of the pinned CSI spec (provisioned like the upstream binaries). */
  csiProto: string;
  /**
   * controller: Identity and Controller, beside the sidecars (absent means this,
   * as for the local cluster's host processes); node: Identity and Node, as the
   * node plugin under a real kubelet; all: the three on one socket.
   */
  mode?: DriverMode;
  /** Where the controller keeps its volume records (controller and all modes). */
  stateDir?: string;
  /** Advertise PUBLISH_UNPUBLISH_VOLUME: the control plane attaches volumes to nodes. */
  attach: boolean;
  /**
   * When set, the controller pins every volume to the node named by this
   * topology key, and the node plugin reports its node ID under it.
   */
  topologyKey?: string;
  /**
   * The value the node plugin reports under `topologyKey` (default: its node
   * ID). Zonal storage reports the node's zone: the controller then pins each
   * volume to a zone, which every node of that zone reaches.
   */
  topologyValue?: string;
  /** The CSI access modes the driver accepts; others are refused (INVALID_ARGUMENT, FAILED_PRECONDITION on a node). */
  accessModes: readonly CsiAccessMode[];
  /** The node plugin's node ID (NodeGetInfo): the Kubernetes node name. */
  nodeId?: string;
  /** Where the node plugin keeps each volume's data, as `<dataDir>/<volume_id>`. */
  dataDir?: string;
  /** Register with the kubelet through a socket in this directory (what node-driver-registrar does). */
  registration?: RegistrationConfig;
}

export interface RegistrationConfig {
  /** The kubelet's plugin registry, usually /var/lib/kubelet/plugins_registry. */
  dir: string;
  /** api.proto of k8s.io/kubelet's pluginregistration v1 (provisioned like csi.proto). */
  proto: string;
  /** The CSI socket's path as the kubelet sees it (the driver may run in a container). */
  kubeletEndpoint: string;
}

export const usage = `usage: node clusters/csi-driver/main.ts --name NAME --socket PATH --csi-proto FILE
  [--mode controller|node|all] [--topology-key KEY [--topology-value VALUE]] [--access-modes MODE,MODE,...]
controller (the default; also all): --state-dir DIR [--attach]
  --state-dir DIR       where the volume records live
  --attach              advertise PUBLISH_UNPUBLISH_VOLUME (the control plane attaches volumes)
node (also all): --node-id ID --data-dir DIR
  [--registration-dir DIR --registration-proto FILE [--kubelet-endpoint PATH]]
  --node-id ID          this node's name; with --topology-key, reported as KEY=ID
  --topology-value VALUE
                        report KEY=VALUE instead (zonal storage: the node's zone)
  --data-dir DIR        volume data lives in DIR/<volume_id>: a directory every
                        node shares for network-like storage, a node-local one
                        for node-local storage
  --registration-dir DIR
                        register with the kubelet (as node-driver-registrar does)
                        through DIR/NAME-reg.sock; usually /var/lib/kubelet/plugins_registry
  --registration-proto FILE
                        k8s.io/kubelet pkg/apis/pluginregistration/v1/api.proto
  --kubelet-endpoint PATH
                        the CSI socket as the kubelet sees it
                        (default /var/lib/kubelet/plugins/NAME/csi.sock)
access modes: ${csiAccessModes.join(", ")} (default: all)`;

const controllerFlags = ["state-dir", "attach"] as const;
const nodeFlags = [
  "node-id",
  "topology-value",
  "data-dir",
  "registration-dir",
  "registration-proto",
  "kubelet-endpoint",
] as const;

export function parseDriverArgs(argv: readonly string[]): DriverConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      name: { type: "string" },
      socket: { type: "string" },
      "csi-proto": { type: "string" },
      mode: { type: "string", default: "controller" },
      "state-dir": { type: "string" },
      attach: { type: "boolean", default: false },
      "topology-key": { type: "string" },
      "topology-value": { type: "string" },
      "access-modes": { type: "string" },
      "node-id": { type: "string" },
      "data-dir": { type: "string" },
      "registration-dir": { type: "string" },
      "registration-proto": { type: "string" },
      "kubelet-endpoint": { type: "string" },
    },
    strict: true,
  });
  const mode = values.mode as DriverMode;
  if (!(driverModes as readonly string[]).includes(mode)) {
    throw new UsageError(`unknown --mode ${mode}: use ${driverModes.join(", ")}\n${usage}`);
  }
  const controller = servesController({ mode });
  const node = servesNode({ mode });
  const required = [
    ...(["name", "socket", "csi-proto"] as const),
    ...(controller ? (["state-dir"] as const) : []),
    ...(node ? (["node-id", "data-dir"] as const) : []),
    ...(values["registration-dir"] ? (["registration-proto"] as const) : []),
  ];
  const missing = required.filter((flag) => !values[flag]);
  if (missing.length > 0) throw new UsageError(`missing --${missing.join(", --")}\n${usage}`);
  // A flag the mode ignores is a mistake in the manifest: say so rather than ignore it.
  const ignored = [...(controller ? [] : controllerFlags), ...(node ? [] : nodeFlags)].filter(
    (flag) => values[flag] !== undefined && values[flag] !== false,
  );
  if (ignored.length > 0) throw new UsageError(`--mode ${mode} takes no --${ignored.join(", --")}\n${usage}`);
  if (values["topology-value"] && !values["topology-key"]) {
    throw new UsageError(`--topology-value needs --topology-key\n${usage}`);
  }
  if (values["kubelet-endpoint"] && !values["registration-dir"]) {
    throw new UsageError(`--kubelet-endpoint needs --registration-dir\n${usage}`);
  }
  const modes = values["access-modes"]
    ? values["access-modes"].split(",").map((m) => m.trim())
    : [...csiAccessModes];
  const unknown = modes.filter((m) => !(csiAccessModes as readonly string[]).includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown access mode(s) ${unknown.join(", ")}\n${usage}`);
  const name = values.name as string;
  return {
    name,
    socket: values.socket as string,
    csiProto: values["csi-proto"] as string,
    mode,
    ...(values["state-dir"] ? { stateDir: values["state-dir"] } : {}),
    attach: values.attach ?? false,
    ...(values["topology-key"] ? { topologyKey: values["topology-key"] } : {}),
    ...(values["topology-value"] ? { topologyValue: values["topology-value"] } : {}),
    accessModes: modes as CsiAccessMode[],
    ...(values["node-id"] ? { nodeId: values["node-id"] } : {}),
    ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
    ...(values["registration-dir"]
      ? {
          registration: {
            dir: values["registration-dir"],
            proto: values["registration-proto"] as string,
            kubeletEndpoint: values["kubelet-endpoint"] || `/var/lib/kubelet/plugins/${name}/csi.sock`,
          },
        }
      : {}),
  };
}

/** The flags that produce `config` (the inverse of parseDriverArgs; the local provider starts drivers with it). */
export function driverArgs(config: DriverConfig): string[] {
  return [
    `--name=${config.name}`,
    `--socket=${config.socket}`,
    `--csi-proto=${config.csiProto}`,
    ...(config.mode ? [`--mode=${config.mode}`] : []),
    ...(config.stateDir ? [`--state-dir=${config.stateDir}`] : []),
    ...(config.attach ? ["--attach"] : []),
    ...(config.topologyKey ? [`--topology-key=${config.topologyKey}`] : []),
    ...(config.topologyValue ? [`--topology-value=${config.topologyValue}`] : []),
    `--access-modes=${config.accessModes.join(",")}`,
    ...(config.nodeId ? [`--node-id=${config.nodeId}`] : []),
    ...(config.dataDir ? [`--data-dir=${config.dataDir}`] : []),
    ...(config.registration
      ? [
          `--registration-dir=${config.registration.dir}`,
          `--registration-proto=${config.registration.proto}`,
          `--kubelet-endpoint=${config.registration.kubeletEndpoint}`,
        ]
      : []),
  ];
}

/** Whether `config` serves the Controller service. */
export function servesController(config: Pick<DriverConfig, "mode">): boolean {
  return (config.mode ?? "controller") !== "node";
}

/** Whether `config` serves the Node service. */
export function servesNode(config: Pick<DriverConfig, "mode">): boolean {
  return (config.mode ?? "controller") !== "controller";
}

/** How external-provisioner maps Kubernetes access modes to CSI ones (for readable refusals). */
const kubernetesNameOf: Partial<Record<string, string>> = {
  SINGLE_NODE_WRITER: "ReadWriteOnce",
  SINGLE_NODE_MULTI_WRITER: "ReadWriteOnce",
  SINGLE_NODE_SINGLE_WRITER: "ReadWriteOncePod",
  MULTI_NODE_MULTI_WRITER: "ReadWriteMany",
  MULTI_NODE_READER_ONLY: "ReadOnlyMany",
};

/** The refusal of an access mode the driver does not offer, with the code the asking RPC answers; undefined when it offers it. */
export function unsupportedAccessMode(
  config: DriverConfig,
  mode: string,
  code: CsiCode,
): CsiError | undefined {
  if ((config.accessModes as readonly string[]).includes(mode)) return undefined;
  const kubernetes = kubernetesNameOf[mode] ? ` (Kubernetes ${kubernetesNameOf[mode]})` : "";
  return new CsiError(
    code,
    `driver ${config.name} does not support access mode ${mode}${kubernetes}; it supports ${config.accessModes.join(", ")}`,
  );
}
