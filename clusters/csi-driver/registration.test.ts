import { describe, expect, it } from "vitest";
import { RegistrationService, registrationSocketPath } from "./registration.ts";

const config = {
  dir: "/var/lib/kubelet/plugins_registry",
  proto: "/api.proto",
  kubeletEndpoint: "/var/lib/kubelet/plugins/amc-local.csi.test/csi.sock",
};

describe("kubelet plugin registration", () => {
  it("puts the socket where the kubelet's plugin watcher looks, named after the driver", () => {
    expect(registrationSocketPath(config.dir, "amc-local.csi.test")).toBe(
      "/var/lib/kubelet/plugins_registry/amc-local.csi.test-reg.sock",
    );
  });

  it("tells the kubelet it is a CSI plugin, its name, its endpoint and CSI plugin API 1.0.0", () => {
    expect(new RegistrationService("amc-local.csi.test", config, () => undefined).getInfo()).toEqual({
      type: "CSIPlugin",
      name: "amc-local.csi.test",
      endpoint: "/var/lib/kubelet/plugins/amc-local.csi.test/csi.sock",
      supported_versions: ["1.0.0"],
    });
  });

  it("gives up only when the kubelet did not register it", () => {
    const refusals: string[] = [];
    const service = new RegistrationService("d", config, (error) => refusals.push(error));
    expect(service.notifyRegistrationStatus({ plugin_registered: true, error: "" })).toEqual({});
    expect(refusals).toEqual([]);
    service.notifyRegistrationStatus({ plugin_registered: false, error: "version 0.9 not supported" });
    expect(refusals).toEqual(["version 0.9 not supported"]);
  });
});
