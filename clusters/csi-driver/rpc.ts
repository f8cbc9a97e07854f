import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { CsiError } from "./csi-error.ts";
import { log } from "./log.ts";

/** How the driver loads its .proto files and turns plain methods into logged gRPC handlers. */

/**
 * The package tree a .proto file defines, with the message shapes the
 * services use: field names as in the file, enums as strings, int64 as strings.
 */
// biome-ignore lint/suspicious/noExplicitAny: the package shape comes from the .proto at run time
export function loadProtoPackage(file: string): any {
  const definition = protoLoader.loadSync(file, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition);
}

type Handler = (request: never) => object | Promise<object>;

/** Secrets (NodePublishVolume, CreateVolume) never reach the log. */
function describe(request: unknown): string {
  return JSON.stringify(request, (key, value) =>
    key === "secrets" && value && Object.keys(value).length > 0 ? "[redacted]" : value,
  );
}

/** A unary handler that logs each call, and answers a CsiError with its code and anything else INTERNAL. */
export function unary(name: string, handler: Handler): grpc.handleUnaryCall<object, object> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request as never))
      .then(
        (response) => {
          log(`${name} ok ${describe(call.request)}`);
          callback(null, response);
        },
        (error: Error) => {
          const code = error instanceof CsiError ? grpc.status[error.code] : grpc.status.INTERNAL;
          log(`${name} ${grpc.status[code]} ${error.message} ${describe(call.request)}`);
          callback({ code, details: error.message });
        },
      );
  };
}
