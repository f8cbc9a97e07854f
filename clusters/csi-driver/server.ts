import { lstatSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type DriverConfig, servesController, servesNode } from "./config.ts";
import { ControllerService } from "./controller-service.ts";
import { IdentityService } from "./identity-service.ts";
import { log } from "./log.ts";
import { NodeService } from "./node-service.ts";
import { RegistrationService, registrationSocketPath } from "./registration.ts";
import { loadProtoPackage, unary } from "./rpc.ts";
import { VolumeStore } from "./volumes.ts";

/**
 * Serves the driver's CSI services on its unix socket (Identity always,
 * Controller and Node as the mode says) and, when it registers with the
 * kubelet, the registration service on a socket of its own.
 */

export interface RunningDriver {
  /** Stops serving and removes the sockets, the registration socket first (the kubelet then deregisters the driver). */
  stop(): Promise<void>;
}

export interface DriverHooks {
  /** The kubelet reported that it did not register the driver. */
  onRegistrationRefused(error: string): void;
}

export async function serve(config: DriverConfig, hooks: DriverHooks): Promise<RunningDriver> {
  const csi = loadProtoPackage(config.csiProto).csi.v1;
  const server = new grpc.Server();
  const identity = new IdentityService(config);
  server.addService(csi.Identity.service, {
    GetPluginInfo: unary("GetPluginInfo", () => identity.getPluginInfo()),
    GetPluginCapabilities: unary("GetPluginCapabilities", () => identity.getPluginCapabilities()),
    Probe: unary("Probe", () => identity.probe()),
  });
  const services = ["Identity"];
  if (servesController(config)) {
    if (!config.stateDir) throw new Error("the controller needs a state dir");
    const controller = new ControllerService(config, new VolumeStore(config.stateDir));
    server.addService(csi.Controller.service, {
      ControllerGetCapabilities: unary("ControllerGetCapabilities", () =>
        controller.controllerGetCapabilities(),
      ),
      CreateVolume: unary("CreateVolume", (r) => controller.createVolume(r)),
      DeleteVolume: unary("DeleteVolume", (r) => controller.deleteVolume(r)),
      ControllerPublishVolume: unary("ControllerPublishVolume", (r) => controller.controllerPublishVolume(r)),
      ControllerUnpublishVolume: unary("ControllerUnpublishVolume", (r) =>
        controller.controllerUnpublishVolume(r),
      ),
      ValidateVolumeCapabilities: unary("ValidateVolumeCapabilities", (r) =>
        controller.validateVolumeCapabilities(r),
      ),
    });
    services.push("Controller");
  }
  if (servesNode(config)) {
    const node = new NodeService(config);
    server.addService(csi.Node.service, {
      NodeGetInfo: unary("NodeGetInfo", () => node.nodeGetInfo()),
      NodeGetCapabilities: unary("NodeGetCapabilities", () => node.nodeGetCapabilities()),
      NodePublishVolume: unary("NodePublishVolume", (r) => node.nodePublishVolume(r)),
      NodeUnpublishVolume: unary("NodeUnpublishVolume", (r) => node.nodeUnpublishVolume(r)),
    });
    services.push("Node");
  }
  await listen(server, config.socket);
  log(`serving ${services.join(", ")} of ${config.name} on ${config.socket} (${JSON.stringify(config)})`);

  // Registered only once the CSI socket answers: the kubelet calls NodeGetInfo right after GetInfo.
  let registration: { server: grpc.Server; socket: string } | undefined;
  if (config.registration) {
    const api = loadProtoPackage(config.registration.proto).pluginregistration;
    const service = new RegistrationService(config.name, config.registration, hooks.onRegistrationRefused);
    registration = {
      server: new grpc.Server(),
      socket: registrationSocketPath(config.registration.dir, config.name),
    };
    registration.server.addService(api.Registration.service, {
      GetInfo: unary("GetInfo", () => service.getInfo()),
      NotifyRegistrationStatus: unary("NotifyRegistrationStatus", (r) => service.notifyRegistrationStatus(r)),
    });
    await listen(registration.server, registration.socket);
    log(`registering with the kubelet through ${registration.socket}`);
  }

  return {
    stop: async () => {
      if (registration) await shutdown(registration.server, registration.socket);
      await shutdown(server, config.socket);
    },
  };
}

async function listen(server: grpc.Server, socket: string): Promise<void> {
  mkdirSync(dirname(socket), { recursive: true });
  removeSocket(socket); // one left by a killed predecessor
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

/** Lets calls in flight finish (the reply to a refused registration among them), for 5 s at most. */
async function shutdown(server: grpc.Server, socket: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 5_000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
  removeSocket(socket);
}

/** Removes a socket file; anything else at that path is left alone (binding then fails and says so). */
function removeSocket(path: string): void {
  const existing = (() => {
    try {
      return lstatSync(path);
    } catch {
      return undefined;
    }
  })();
  if (existing?.isSocket()) rmSync(path, { force: true });
}
