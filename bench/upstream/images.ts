import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { kindArgs } from "../../clusters/kind/config.ts";
import { imagesToLoad, loadGroups } from "../../clusters/kind/image-load.ts";
import { KIND_CLUSTER_LABEL } from "../../clusters/kind/images/image-set.ts";
import { kindBinary } from "../../clusters/kind/provider.ts";
import { heartbeat, say, timed } from "../../lib/progress.ts";

/**
 * The two images upstream's access-mode tests run (test/utils/image/manifest.go
 * of the pinned release), made from the suite's own workload image: no
 * registry is reachable. Every pod of read-write-once-pod and multiVolume
 * runs `sh -c "trap exit TERM; while true; do sleep 1; done"` (busybox, from
 * e2epod.MakeSecPod) or the same in glibc-dns-testing (multiVolume's
 * concurrent-access pods), and the checks exec `test -d`/`test -b`, `dd`,
 * `sha256sum | grep -Fq`, `echo | base64 -d` (and `blockdev` for block
 * volumes) in them. The suite's busybox image is Debian's busybox-static
 * with a few applets linked: every applet it has is linked here.
 */

const scope = "vs-upstream";

export const upstreamImages = [
  "registry.k8s.io/e2e-test-images/busybox:1.37.0-1",
  "registry.k8s.io/e2e-test-images/glibc-dns-testing:2.0.0",
] as const;

/** Builds both tags from `workloadImage` (a busybox image with /bin/busybox) and loads them into the kind cluster's nodes that lack them. */
export async function provideUpstreamImages(workloadImage: string, clusterName: string): Promise<void> {
  const applets = (
    await execa("docker", ["run", "--rm", "--entrypoint", "/bin/busybox", workloadImage, "--list"])
  ).stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((name) => /^[\w.[-]+$/.test(name) && name !== "busybox");
  const context = await mkdtemp(join(tmpdir(), "amc-upstream-images-"));
  try {
    await mkdir(join(context, "rootfs", "bin"), { recursive: true });
    for (const applet of applets) await symlink("busybox", join(context, "rootfs", "bin", applet));
    await writeFile(join(context, "Dockerfile"), `FROM ${workloadImage}\nCOPY rootfs/ /\n`);
    await timed(
      scope,
      `building ${upstreamImages.join(" and ")} from ${workloadImage} (${applets.length} applets)`,
      () =>
        execa("docker", ["build", "--quiet", ...upstreamImages.flatMap((tag) => ["--tag", tag]), context]),
    );
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  // Only what a node lacks is sent (kind's own check needs crictl, which the air-gapped node image lacks).
  const nodes = (
    await execa("docker", [
      "ps",
      "--filter",
      `label=${KIND_CLUSTER_LABEL}=${clusterName}`,
      "--format",
      "{{.Names}}",
    ])
  ).stdout
    .split("\n")
    .filter(Boolean);
  const groups = loadGroups(await imagesToLoad(nodes, upstreamImages));
  if (groups.length === 0) say(scope, `every node of ${clusterName} has them`);
  const kind = await kindBinary();
  for (const group of groups) {
    const stop = heartbeat(scope, (elapsed) => `loading the upstream test images: ${elapsed}`);
    try {
      await timed(scope, `loading ${group.images.join(", ")} into ${group.nodes.join(", ")}`, () =>
        execa(kind, kindArgs.load(clusterName, group.images, group.nodes)),
      );
    } finally {
      stop();
    }
  }
}
