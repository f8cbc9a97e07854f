import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { dockerAnswers } from "../docker.ts";
import { removeInterruptedBuilds } from "./build.ts";
import { buildContainerName, builtBy, KIND_CLUSTER_LABEL } from "./image-set.ts";

/**
 * The image build's clean-up against the real Docker Engine: it removes what
 * an interrupted build left, and never a kind cluster's node, although a node
 * made from the suite's node image carries the build's label (the image was
 * committed from a build container). Reproduces a run that deleted the very
 * cluster it was asked to reuse.
 */
const docker = await dockerAnswers();
const suffix = randomBytes(3).toString("hex");
const image = `amc.local/test-labelled:${suffix}`;
const created: string[] = [];

async function container(name: string, labels: string[]): Promise<void> {
  await execa("docker", ["create", "--name", name, ...labels.flatMap((l) => ["--label", l]), image, "true"]);
  created.push(name);
}

async function exists(name: string): Promise<boolean> {
  const result = await execa("docker", ["container", "inspect", name], { reject: false });
  return result.exitCode === 0;
}

afterAll(async () => {
  if (docker !== undefined) return;
  await execa("docker", ["rm", "--force", ...created], { reject: false });
  await execa("docker", ["rmi", "--force", image], { reject: false });
});

describe.skipIf(docker !== undefined)("kind image build: clean-up of interrupted builds", () => {
  it("removes an interrupted build's container and leaves a kind node with the build's label", async () => {
    // An image with the build's label, as the committed node image has; empty, it is never started.
    await execa("docker", ["import", "--change", `LABEL ${builtBy}`, "-", image], {
      input: Buffer.alloc(1024),
    });
    const node = `amc-survivor-${suffix}-worker`;
    const build = buildContainerName();
    await container(node, [`${KIND_CLUSTER_LABEL}=amc-survivor-${suffix}`]);
    await container(build, [builtBy]);
    await removeInterruptedBuilds();
    expect(await exists(node)).toBe(true);
    expect(await exists(build)).toBe(false);
  });
});
