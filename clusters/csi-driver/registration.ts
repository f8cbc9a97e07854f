import { join } from "node:path";
import type { RegistrationConfig } from "./config.ts";
import { log } from "./log.ts";

/**
 * What node-driver-registrar does, served by the driver itself: the kubelet's
 * plugin watcher finds `<driver>-reg.sock` in its plugin registry, asks
 * GetInfo where the CSI socket is, calls NodeGetInfo there (CSINode entry,
 * topology labels), and reports the outcome with NotifyRegistrationStatus.
 * Messages of k8s.io/kubelet pkg/apis/pluginregistration/v1/api.proto.
 */

/** Where the kubelet looks for this driver's registration socket. */
export function registrationSocketPath(registrationDir: string, driverName: string): string {
  return join(registrationDir, `${driverName}-reg.sock`);
}

export interface RegistrationStatus {
  plugin_registered?: boolean;
  error?: string;
}

export class RegistrationService {
  private readonly driverName: string;
  private readonly config: RegistrationConfig;
  private readonly onRefused: (error: string) => void;

  /** `onRefused` runs when the kubelet reports that it did not register the driver. */
  constructor(driverName: string, config: RegistrationConfig, onRefused: (error: string) => void) {
    this.driverName = driverName;
    this.config = config;
    this.onRefused = onRefused;
  }

  getInfo() {
    return {
      type: "CSIPlugin",
      name: this.driverName,
      endpoint: this.config.kubeletEndpoint,
      supported_versions: ["1.0.0"], // the CSI plugin API versions the kubelet accepts
    };
  }

  notifyRegistrationStatus(status: RegistrationStatus) {
    if (status.plugin_registered) {
      log(`the kubelet registered ${this.driverName} (endpoint ${this.config.kubeletEndpoint})`);
    } else {
      // As node-driver-registrar: exit, so that the pod restarts and registers again.
      log(`the kubelet did not register ${this.driverName}: ${status.error || "(no error given)"}`);
      this.onRefused(status.error ?? "");
    }
    return {};
  }
}
