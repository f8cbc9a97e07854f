import { rmSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { DriverConfig } from "./config.ts";
import { ControllerService, CsiError } from "./service.ts";
import { VolumeStore } from "./volumes.ts";

/** Serves the driver's CSI Identity and Controller services on its unix socket. */

type Handler = (request: never) => object;

function unary(name: string, handler: Handler): grpc.handleUnaryCall<object, object> {
  return (call, callback) => {
    try {
      const response = handler(call.request as never);
      log(`${name} ok ${JSON.stringify(call.request)}`);
      callback(null, response);
    } catch (error) {
      const code = error instanceof CsiError ? grpc.status[error.code] : grpc.status.INTERNAL;
      log(`${name} ${grpc.status[code]} ${(error as Error).message}`);
      callback({ code, details: (error as Error).message });
    }
  };
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

export async function serve(config: DriverConfig): Promise<grpc.Server> {
  const definition = protoLoader.loadSync(config.csiProto, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  // biome-ignore lint/suspicious/noExplicitAny: the package shape comes from csi.proto at run time
  const csi = (grpc.loadPackageDefinition(definition) as any).csi.v1;
  const controller = new ControllerService(config, new VolumeStore(config.stateDir));
  const server = new grpc.Server();
  server.addService(csi.Identity.service, {
    GetPluginInfo: unary("GetPluginInfo", () => controller.getPluginInfo()),
    GetPluginCapabilities: unary("GetPluginCapabilities", () => controller.getPluginCapabilities()),
    Probe: unary("Probe", () => controller.probe()),
  });
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
  rmSync(config.socket, { force: true }); // a socket left by a killed predecessor
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${config.socket}`, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  log(`serving ${config.name} on ${config.socket} (${JSON.stringify(config)})`);
  return server;
}
