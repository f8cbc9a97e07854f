import { createHash, randomBytes } from "node:crypto";
import { pins } from "../../binaries/pins.ts";

/**
 * The images of the air-gapped kind path, as data. Every image is built on this
 * machine (no registry is needed) and tagged `amc.local/<name>:<version>-<key>`,
 * where the key hashes everything that went into it: a second build with the
 * same inputs finds the image in Docker and reuses it.
 */

const localRegistry = "amc.local";

/** The label of the containers and images the build makes; only they are ever removed by it. */
export const builtBy = "io.amc.built-by=access-mode-conformance";

/** Debian release the images are made of, and the packages of the slim root filesystem. */
export const debian = {
  suite: "trixie",
  mirror: "http://deb.debian.org/debian",
  /** What the images other than the node need: kube-proxy's iptables/nft, the CSI driver's mount. */
  packages: ["iptables", "nftables", "conntrack", "mount", "util-linux", "ca-certificates", "busybox-static"],
} as const;

/**
 * Names kubeadm and containerd look for inside a node. The locally built images
 * are tagged with them inside the node image's containerd only, never in the
 * host's Docker, so that nothing the user has under those names is touched.
 */
export function kubeadmImageNames(kubernetesVersion: string, etcdTag: string, pauseTags: readonly string[]) {
  return {
    kube: ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"].map(
      (name) => `registry.k8s.io/${name}:${kubernetesVersion}`,
    ),
    etcd: [`registry.k8s.io/etcd:${etcdTag}`],
    pause: pauseTags.map((tag) => `registry.k8s.io/pause:${tag}`),
  };
}

/** etcd's image tag as kubeadm writes it ("3.6.16-0"); the kind config points kubeadm at it. */
export const etcdImageTag = `${pins.etcd.replace(/^v/, "")}-0`;

/**
 * The sandbox image kind's containerd config names ("registry.k8s.io/pause:3.10")
 * and the one kubeadm 1.36 lists (3.10.2): the node image carries both names.
 */
export const pauseTags = ["3.10", "3.10.2"] as const;

/** Content key of an image: its recipe text and the digests of its inputs, in a stable order. */
export function contentKey(parts: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(parts).sort()) hash.update(`${name}\0${parts[name]}\0`);
  return hash.digest("hex").slice(0, 12);
}

export function localTag(name: string, version: string, key: string): string {
  return `${localRegistry}/${name}:${version}-${key}`;
}

/** Dockerfile of an image made of static files only (no shell, no libc). */
export function staticImageDockerfile(entrypoint: readonly string[], user?: string): string {
  return [
    "FROM scratch",
    "COPY rootfs/ /",
    "ENV PATH=/usr/local/bin:/usr/bin:/bin",
    ...(user ? [`USER ${user}`] : []),
    `ENTRYPOINT ${JSON.stringify(entrypoint)}`,
    "",
  ].join("\n");
}

/** Dockerfile of an image on the slim Debian root filesystem. */
export function debianImageDockerfile(rootfs: string, entrypoint?: readonly string[]): string {
  return [
    `FROM ${rootfs}`,
    "COPY rootfs/ /",
    ...(entrypoint ? [`ENTRYPOINT ${JSON.stringify(entrypoint)}`] : []),
    "",
  ].join("\n");
}

/** Programs of Debian's busybox-static the workload and local-path helper images expose. */
export const busyboxApplets = [
  "sh",
  "sleep",
  "cat",
  "echo",
  "mkdir",
  "rm",
  "ls",
  "test",
  "touch",
  "true",
  // The node-failure scenarios' writer (manifests/writer.yaml) syncs each line (its sh stamps it).
  "sync",
  // The raw block scenarios read the token back from the first bytes of the device.
  "head",
] as const;

/** kind's label on its node containers, naming their cluster. */
export const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";

/** Every container an image build runs is named so; older versions named them amc-kind-build-. */
const BUILD_CONTAINER_PREFIXES = ["amc-image-build-", "amc-kind-build-"];

export function buildContainerName(): string {
  return `${BUILD_CONTAINER_PREFIXES[0]}${randomBytes(4).toString("hex")}`;
}

/**
 * The ids among `docker ps --format '{{.ID}}\t{{.Names}}\t{{.Label "io.x-k8s.kind.cluster"}}'`
 * lines (containers with the build's label) that an image build made: named
 * as build containers, and not a kind node (whose image, built here, carries
 * the build's label too).
 */
export function interruptedBuildContainers(psOutput: string): string[] {
  return psOutput
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split("\t"))
    .filter(
      ([, name = "", kindCluster = ""]) =>
        !kindCluster && BUILD_CONTAINER_PREFIXES.some((p) => name.startsWith(p)),
    )
    .map(([id = ""]) => id);
}
