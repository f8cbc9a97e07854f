import { existsSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { InfrastructureError } from "../../lib/errors.ts";
import { dockerAnswers, requireDocker } from "./docker.ts";
import { kindPaths, up } from "./provider.ts";

/**
 * The kind provider's refusals, against the real Docker Engine and kind CLI
 * (no cluster is created: each case stops before `kind create`).
 */
const docker = await dockerAnswers();

describe("kind provider: bad input", () => {
  it("says how to get a Docker Engine when none answers", async () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
    try {
      const error = await requireDocker().catch((e: Error) => e);
      expect(error).toBeInstanceOf(InfrastructureError);
      expect((error as Error).message).toMatch(
        /kind needs a running Docker Engine.*(does not answer|not on PATH)/s,
      );
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });

  it.skipIf(docker !== undefined)("refuses an image setting that is neither local nor pullable", async () => {
    const image = "amc.local/no-such-node-image:v0";
    const error = await up({
      name: "amc-bad-image",
      ephemeral: true,
      images: { node: image },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message).toContain(
      `image ${image} is not in the local Docker and cannot be pulled`,
    );
    // It stopped before creating anything: no cluster directory, no node container.
    expect(existsSync(kindPaths("amc-bad-image").dir)).toBe(false);
    const { stdout } = await execa("docker", ["ps", "--all", "--filter", "name=amc-bad-image", "--quiet"]);
    expect(stdout).toBe("");
  });

  it("refuses a cluster name kind would not accept", async () => {
    await expect(up({ name: "Bad_Name", ephemeral: true })).rejects.toThrow(
      /lowercase letters, digits and dashes/,
    );
  });
});
