import { execa } from "execa";
import { say, timed } from "../../../lib/progress.ts";
import { imageId } from "../docker.ts";
import { alreadyBuilt } from "./already-built.ts";
import { buildContainerName, builtBy, contentKey } from "./image-set.ts";

/**
 * Turns the node base into a kind node image, as `kind build node-image`
 * does, but with images from this machine's Docker instead of a registry:
 * copy the Kubernetes programs in, write /kind/version and kind's default
 * manifests, import the images into the node's containerd (started for the
 * purpose) under the names kubeadm expects, and commit.
 */

export interface NodeImageInputs {
  base: string;
  /** Paths in the node -> host files. */
  binaries: Readonly<Record<string, string>>;
  /** Paths in the node -> what they point to. */
  links: Readonly<Record<string, string>>;
  kubernetesVersion: string;
  /** Paths in the node -> contents. */
  files: Readonly<Record<string, string>>;
  /** Local images to preload, each with the extra names it gets inside the node. */
  images: ReadonlyArray<{ image: string; names: readonly string[] }>;
  tagFor: (key: string) => string;
}

const scope = "kind images";

export async function assembleNodeImage(inputs: NodeImageInputs): Promise<string> {
  const parts: Record<string, string> = {
    base: await imageId(inputs.base),
    version: inputs.kubernetesVersion,
    links: JSON.stringify(inputs.links),
  };
  for (const [path, host] of Object.entries(inputs.binaries)) parts[`bin:${path}`] = host;
  for (const [path, text] of Object.entries(inputs.files)) parts[`file:${path}`] = text;
  for (const { image, names } of inputs.images)
    parts[`image:${image}`] = `${await imageId(image)} ${names.join(",")}`;
  const tag = inputs.tagFor(contentKey(parts));
  if (await alreadyBuilt(tag)) return tag;
  await timed(scope, `assembling ${tag}`, () => assemble(inputs, tag));
  return tag;
}

async function assemble(inputs: NodeImageInputs, tag: string): Promise<void> {
  const container = buildContainerName();
  await execa("docker", [
    "run",
    "--detach",
    "--name",
    container,
    "--label",
    builtBy,
    "--entrypoint=sleep",
    "--security-opt",
    "seccomp=unconfined",
    inputs.base,
    "infinity",
  ]);
  const exec = (args: readonly string[], input?: string) =>
    execa("docker", ["exec", "-i", container, ...args], { input });
  try {
    for (const [path, host] of Object.entries(inputs.binaries)) {
      await exec(["mkdir", "-p", path.slice(0, path.lastIndexOf("/"))]);
      await execa("docker", ["cp", host, `${container}:${path}`]);
    }
    for (const [path, target] of Object.entries(inputs.links)) await exec(["ln", "-sf", target, path]);
    await exec(["sh", "-c", "mkdir -p /kind/manifests && cat > /kind/version"], inputs.kubernetesVersion);
    for (const [path, text] of Object.entries(inputs.files))
      await exec(["sh", "-c", `cat > '${path}'`], text);

    await execa("docker", [
      "exec",
      "--detach",
      container,
      "sh",
      "-c",
      "containerd > /var/log/containerd-build.log 2>&1",
    ]);
    await waitForContainerd(container);
    for (const { image, names } of inputs.images) {
      say(scope, `preloading ${image}${names.length > 0 ? ` as ${names.join(", ")}` : ""}`);
      // kind's own import flags: containerd unpacks on first use, inside the running node.
      await execa("sh", [
        "-c",
        `docker save "${image}" | docker exec -i ${container} ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests -`,
      ]);
      for (const name of names) {
        await exec(["ctr", "--namespace=k8s.io", "images", "tag", "--force", image, name]);
      }
    }
    await exec([
      "sh",
      "-c",
      "pkill containerd; while pgrep containerd >/dev/null; do sleep 0.1; done; rm -f /var/log/containerd-build.log",
    ]);
    await execa("docker", [
      "commit",
      "--change",
      'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]',
      container,
      tag,
    ]);
  } finally {
    await execa("docker", ["rm", "--force", "--volumes", container], { reject: false });
  }
}

async function waitForContainerd(container: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = await execa("docker", ["exec", container, "ctr", "version"], { reject: false });
    if (probe.exitCode === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`containerd did not start in the image-build container ${container}`);
}
