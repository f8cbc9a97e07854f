import { execa } from "execa";
import { InfrastructureError } from "../../lib/errors.ts";

/**
 * The few Docker CLI calls the kind provider and the air-gapped image build
 * make, with errors that say what to do. kind itself drives Docker for the
 * cluster; these are for images and the image-build container.
 */

export async function dockerAnswers(): Promise<string | undefined> {
  const result = await execa("docker", ["version", "--format", "{{.Server.Version}}"], { reject: false });
  if (result.exitCode === 0) return undefined;
  if ((result as { code?: string }).code === "ENOENT") return "the docker CLI is not on PATH";
  return `the Docker Engine does not answer: ${String(result.stderr || result.message).trim()}`;
}

export async function requireDocker(): Promise<void> {
  const problem = await dockerAnswers();
  if (problem) {
    throw new InfrastructureError(
      `kind needs a running Docker Engine, and ${problem}.\n` +
        "Start the Docker Engine (on Debian: apt-get install docker.io, then systemctl start docker) and retry.",
    );
  }
}

export async function imageExists(ref: string): Promise<boolean> {
  const result = await execa("docker", ["image", "inspect", "--format", "{{.Id}}", ref], { reject: false });
  return result.exitCode === 0;
}

export async function imageId(ref: string): Promise<string> {
  const { stdout } = await execa("docker", ["image", "inspect", "--format", "{{.Id}}", ref]);
  return stdout.trim();
}
