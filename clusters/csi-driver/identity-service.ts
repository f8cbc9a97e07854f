import { type DriverConfig, servesController } from "./config.ts";

/**
 * The CSI Identity RPCs, served in every mode. The plugin capabilities say
 * what this process serves: the sidecars check CONTROLLER_SERVICE before they
 * call the controller, and external-provisioner sends topology only to a
 * driver with VOLUME_ACCESSIBILITY_CONSTRAINTS.
 */
export class IdentityService {
  private readonly config: DriverConfig;

  constructor(config: DriverConfig) {
    this.config = config;
  }

  getPluginInfo() {
    return { name: this.config.name, vendor_version: "0.1.0", manifest: {} };
  }

  getPluginCapabilities() {
    const services = [
      ...(servesController(this.config) ? ["CONTROLLER_SERVICE"] : []),
      ...(this.config.topologyKey ? ["VOLUME_ACCESSIBILITY_CONSTRAINTS"] : []),
    ];
    return { capabilities: services.map((type) => ({ service: { type } })) };
  }

  probe() {
    return { ready: { value: true } };
  }
}
