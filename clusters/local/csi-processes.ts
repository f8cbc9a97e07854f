import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { driverArgs } from "../csi-driver/config.ts";
import type { LocalStorageClass } from "./storage.ts";

/**
 * The host processes that give the local cluster its CSI storage: per class,
 * one process of the suite's CSI driver and a real external-provisioner; for
 * classes that attach, a real external-attacher too. The sidecars talk to the
 * API server as in any cluster; the driver only to them, over its socket.
 */

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  /** The unix socket this process serves, when it is a driver (the sidecars wait for it). */
  serves?: string;
}

export interface CsiProcessInputs {
  csiDir: string;
  kubeconfig: string;
  csiProto: string;
  csiProvisioner: string;
  csiAttacher: string;
  node: string;
}

const driverMain = fileURLToPath(new URL("../csi-driver/main.ts", import.meta.url));
const compileCache = fileURLToPath(new URL("./compile-cache.ts", import.meta.url));

/**
 * The sidecars' client-side rate limits, raised as the control plane's are
 * (kwokctl.ts, disableQPSLimits): at their defaults (5 requests a second,
 * bursts of 10) each sidecar queued its own writes (the volume, its events,
 * the attachment's status) as soon as a few claims of its class came at once.
 */
export const sidecarClientLimits = ["--kube-api-qps=5000", "--kube-api-burst=10000"];

export function socketPath(csiDir: string, storageClass: LocalStorageClass): string {
  return join(csiDir, `${storageClass.className}.sock`);
}

export function csiProcesses(classes: readonly LocalStorageClass[], inputs: CsiProcessInputs): ProcessSpec[] {
  return classes.flatMap((storageClass) => {
    const socket = socketPath(inputs.csiDir, storageClass);
    const sidecarArgs = [
      `--csi-address=${socket}`,
      `--kubeconfig=${inputs.kubeconfig}`,
      "--timeout=30s",
      ...sidecarClientLimits,
      "--v=4",
    ];
    const driver: ProcessSpec = {
      name: `${storageClass.className}-driver`,
      command: inputs.node,
      args: [
        `--import=${compileCache}`,
        driverMain,
        ...driverArgs({
          name: storageClass.driverName,
          socket,
          stateDir: join(inputs.csiDir, storageClass.className),
          csiProto: inputs.csiProto,
          attach: storageClass.attachRequired,
          ...(storageClass.topologyKey ? { topologyKey: storageClass.topologyKey } : {}),
          accessModes: storageClass.accessModes,
        }),
      ],
      serves: socket,
    };
    const provisioner: ProcessSpec = {
      name: `${storageClass.className}-provisioner`,
      command: inputs.csiProvisioner,
      // Node-local (and zonal) storage: offer only the selected node's topology, as node-local drivers are deployed.
      args: [...sidecarArgs, ...(storageClass.topologyKey ? ["--strict-topology=true"] : [])],
    };
    const attacher: ProcessSpec[] = storageClass.attachRequired
      ? [{ name: `${storageClass.className}-attacher`, command: inputs.csiAttacher, args: sidecarArgs }]
      : [];
    return [driver, provisioner, ...attacher];
  });
}
