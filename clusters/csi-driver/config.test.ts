import { describe, expect, it } from "vitest";
import { UsageError } from "../../lib/errors.ts";
import { driverArgs, parseDriverArgs } from "./config.ts";

const common = ["--name=d", "--socket=/s", "--csi-proto=/p"];
const node = [...common, "--mode=node", "--node-id=n1", "--data-dir=/data"];

describe("driver flags", () => {
  it("parse into a controller config by default", () => {
    expect(
      parseDriverArgs([
        ...common,
        "--state-dir=/t",
        "--attach",
        "--access-modes=SINGLE_NODE_WRITER,SINGLE_NODE_SINGLE_WRITER",
      ]),
    ).toEqual({
      name: "d",
      socket: "/s",
      stateDir: "/t",
      csiProto: "/p",
      mode: "controller",
      attach: true,
      accessModes: ["SINGLE_NODE_WRITER", "SINGLE_NODE_SINGLE_WRITER"],
    });
  });

  it("parse a node plugin that registers with the kubelet, the endpoint defaulting to the kubelet's plugin dir", () => {
    const config = parseDriverArgs([
      ...node,
      "--topology-key=topology.test/node",
      "--registration-dir=/registry",
      "--registration-proto=/api.proto",
    ]);
    expect(config).toMatchObject({
      mode: "node",
      nodeId: "n1",
      dataDir: "/data",
      topologyKey: "topology.test/node",
      registration: {
        dir: "/registry",
        proto: "/api.proto",
        kubeletEndpoint: "/var/lib/kubelet/plugins/d/csi.sock",
      },
    });
    expect(config.stateDir).toBeUndefined();
    expect(
      parseDriverArgs([
        ...node,
        "--registration-dir=/r",
        "--registration-proto=/a",
        "--kubelet-endpoint=/host/csi.sock",
      ]).registration?.kubeletEndpoint,
    ).toBe("/host/csi.sock");
  });

  it("parse all mode, which needs the flags of both", () => {
    expect(() => parseDriverArgs([...common, "--mode=all", "--node-id=n1", "--data-dir=/d"])).toThrow(
      /missing --state-dir/,
    );
    expect(
      parseDriverArgs([
        ...common,
        "--mode=all",
        "--state-dir=/t",
        "--node-id=n1",
        "--data-dir=/d",
        "--attach",
      ]),
    ).toMatchObject({ mode: "all", stateDir: "/t", nodeId: "n1", dataDir: "/d", attach: true });
  });

  it("give back the flags they came from", () => {
    for (const argv of [
      [...common, "--state-dir=/t", "--attach", "--topology-key=k"],
      [...node, "--registration-dir=/r", "--registration-proto=/a"],
      [...node, "--topology-key=k", "--topology-value=amc-zone-b"],
    ]) {
      const config = parseDriverArgs(argv);
      expect(parseDriverArgs(driverArgs(config))).toEqual(config);
    }
  });

  it("refuse a missing flag or an unknown access mode with the usage", () => {
    expect(() => parseDriverArgs(["--name=d"])).toThrow(UsageError);
    expect(() => parseDriverArgs(["--name=d"])).toThrow(/usage: node clusters\/csi-driver\/main.ts/);
    expect(() => parseDriverArgs([...common, "--state-dir=/t", "--access-modes=RWO"])).toThrow(
      /unknown access mode\(s\) RWO/,
    );
  });

  it("refuse an unknown mode, and a node plugin without its node ID or data dir", () => {
    expect(() => parseDriverArgs([...common, "--mode=kubelet"])).toThrow(
      /unknown --mode kubelet: use controller, node, all/,
    );
    expect(() => parseDriverArgs([...common, "--mode=node"])).toThrow(/missing --node-id, --data-dir/);
  });

  it("refuse flags the mode would ignore, which are mistakes in a manifest", () => {
    expect(() => parseDriverArgs([...node, "--state-dir=/t", "--attach"])).toThrow(
      /--mode node takes no --state-dir, --attach/,
    );
    expect(() => parseDriverArgs([...common, "--state-dir=/t", "--node-id=n1"])).toThrow(
      /--mode controller takes no --node-id/,
    );
    expect(() => parseDriverArgs([...node, "--registration-dir=/r"])).toThrow(/missing --registration-proto/);
    expect(() => parseDriverArgs([...node, "--topology-value=z"])).toThrow(
      /--topology-value needs --topology-key/,
    );
    expect(() => parseDriverArgs([...node, "--kubelet-endpoint=/k"])).toThrow(
      /--kubelet-endpoint needs --registration-dir/,
    );
  });
});
