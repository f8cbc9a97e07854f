import { pins, sourceArchives, stagingVersion } from "./pins.ts";

/**
 * The upstream programs the local cluster needs, as data: what files each one
 * delivers, where a user on the internet downloads it, and how it builds from
 * the Go module proxy. resolve.ts walks these in the documented order.
 */

export type ComponentId =
  | "kubernetes"
  | "kubernetes-node"
  | "kubernetes-e2e"
  | "ginkgo"
  | "etcd"
  | "kwok"
  | "csi-provisioner"
  | "csi-attacher"
  | "csi-spec"
  | "kubelet-plugin-registration"
  | "kind"
  | "local-path-provisioner"
  | "csi-hostpath"
  | "csi-node-driver-registrar"
  | "csi-provisioner-rbac"
  | "sonobuoy"
  | "actionlint";

/** A release archive of an upstream source tree (clusters/binaries/upstream-src.ts). */
export interface SourceArchive {
  /** The archive's file name ("csi-driver-host-path-v1.18.0.tar.gz"). */
  file: string;
  /** Its SHA-256, pinned: an archive with other contents is refused. */
  sha256: string;
  /** The tree's top directory inside the archive. */
  topDir: string;
}

/** Official release artifacts for one platform ("linux-amd64"). */
export type ReleaseSource =
  /** One URL per file; `checksumSuffix` names the published SHA-256 file next to each. */
  | { kind: "files"; urls: Record<string, string>; checksumSuffix?: string }
  /** A .tar.gz holding the files at the given paths. */
  | { kind: "tarball"; url: string; members: Record<string, string> };

export type GoRecipe =
  /**
   * A main package of ours (clusters/binaries/go/<dir>) built in a generated
   * module that requires `module@version`. `links` are extra names for the
   * same binary (multi-call).
   */
  | {
      kind: "wrapper";
      dir: string;
      module: string;
      version: string;
      /** Turn the upstream module's own replace directives into published versions (Kubernetes staging). */
      replaceStaging?: string;
      binary: string;
      links: readonly string[];
      ldflags: readonly string[];
    }
  /**
   * A test package of ours (the `_test.go` files of clusters/binaries/go/<dir>)
   * compiled with `go test -c` into `binary`, in a generated module that
   * requires `module@version`: for test binaries whose upstream TestMain lives
   * in a `_test.go` file, which no other module can import (e2e.test).
   */
  | {
      kind: "test-wrapper";
      dir: string;
      module: string;
      version: string;
      /** As for "wrapper". */
      replaceStaging?: string;
      binary: string;
      ldflags: readonly string[];
    }
  /** `go install module/path@version` for each package; no replace directives upstream. */
  | { kind: "install"; packages: readonly string[]; version: string }
  /** Download the module's source and `go build` packages inside it, honouring its own go.mod. */
  | {
      kind: "in-module";
      module: string;
      version: string;
      packages: Readonly<Record<string, string>>;
      ldflags: readonly string[];
    }
  /**
   * A release archive of a source the Go module proxy refuses, with its own
   * vendor/ (upstream-src.ts): unpacked and built offline (`-mod=vendor`, no proxy).
   */
  | {
      kind: "source-archive";
      archive: SourceArchive;
      packages: Readonly<Record<string, string>>;
      ldflags: readonly string[];
    }
  /** Copy files out of a downloaded module (no build). */
  | { kind: "module-files"; module: string; version: string; files: Readonly<Record<string, string>> };

export interface Component {
  id: ComponentId;
  version: string;
  /** The file names the component provides (executables, or csi.proto). */
  files: readonly string[];
  release: (platform: string) => ReleaseSource | undefined;
  build: GoRecipe;
}

function kubeVersionLdflags(version: string): string[] {
  const [major, minor] = version.replace(/^v/, "").split(".");
  // The binaries report this version (kwokctl reads it to choose flags).
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
}

const kubeBinaries = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"] as const;
/** What a kind node image adds to the control plane (kind clusters only). */
const kubeNodeBinaries = ["kubelet", "kubeadm", "kube-proxy"] as const;

/** The release's test tarball: e2e.test, ginkgo and the other test programs, under kubernetes/test/bin/. */
function kubeTestTarball(platform: string, members: Record<string, string>): ReleaseSource {
  return {
    kind: "tarball",
    url: `https://dl.k8s.io/release/${pins.kubernetes}/kubernetes-test-${platform}.tar.gz`,
    members: Object.fromEntries(
      Object.entries(members).map(([name, binary]) => [name, `kubernetes/test/bin/${binary}`]),
    ),
  };
}

function kubeReleaseFiles(names: readonly string[], platform: string): ReleaseSource {
  return {
    kind: "files",
    urls: Object.fromEntries(
      names.map((name) => [
        name,
        `https://dl.k8s.io/release/${pins.kubernetes}/bin/${platform.replace("-", "/")}/${name}`,
      ]),
    ),
    checksumSuffix: ".sha256",
  };
}

export const components: Record<ComponentId, Component> = {
  kubernetes: {
    id: "kubernetes",
    version: pins.kubernetes,
    files: kubeBinaries,
    release: (platform) => kubeReleaseFiles(kubeBinaries, platform),
    build: {
      kind: "wrapper",
      dir: "kube",
      module: "k8s.io/kubernetes",
      version: pins.kubernetes,
      replaceStaging: stagingVersion(pins.kubernetes),
      binary: "kube",
      links: kubeBinaries,
      ldflags: kubeVersionLdflags(pins.kubernetes),
    },
  },
  "kubernetes-node": {
    id: "kubernetes-node",
    version: pins.kubernetes,
    files: kubeNodeBinaries,
    release: (platform) => kubeReleaseFiles(kubeNodeBinaries, platform),
    build: {
      kind: "wrapper",
      dir: "kube-node",
      module: "k8s.io/kubernetes",
      version: pins.kubernetes,
      replaceStaging: stagingVersion(pins.kubernetes),
      binary: "kube-node",
      links: kubeNodeBinaries,
      ldflags: kubeVersionLdflags(pins.kubernetes),
    },
  },
  // Upstream's end-to-end tests (the storage suites run through --storage.testdriver), for
  // bench/vs-upstream.ts. Built as upstream builds it: test/e2e's test sources linked into one test binary.
  "kubernetes-e2e": {
    id: "kubernetes-e2e",
    version: pins.kubernetes,
    files: ["e2e.test"],
    release: (platform) => kubeTestTarball(platform, { "e2e.test": "e2e.test" }),
    build: {
      kind: "test-wrapper",
      dir: "kube-e2e",
      module: "k8s.io/kubernetes",
      version: pins.kubernetes,
      replaceStaging: stagingVersion(pins.kubernetes),
      binary: "e2e.test",
      ldflags: kubeVersionLdflags(pins.kubernetes),
    },
  },
  // The ginkgo CLI runs e2e.test on several processes (`ginkgo -p --procs=N e2e.test`);
  // the release ships the one its go.mod requires next to e2e.test.
  ginkgo: {
    id: "ginkgo",
    version: pins.ginkgo,
    files: ["ginkgo"],
    release: (platform) => kubeTestTarball(platform, { ginkgo: "ginkgo" }),
    build: { kind: "install", packages: ["github.com/onsi/ginkgo/v2/ginkgo"], version: pins.ginkgo },
  },
  etcd: {
    id: "etcd",
    version: pins.etcd,
    files: ["etcd"],
    release: (platform) => ({
      kind: "tarball",
      url: `https://github.com/etcd-io/etcd/releases/download/${pins.etcd}/etcd-${pins.etcd}-${platform}.tar.gz`,
      members: { etcd: `etcd-${pins.etcd}-${platform}/etcd` },
    }),
    build: {
      kind: "wrapper",
      dir: "etcd",
      module: "go.etcd.io/etcd/server/v3",
      version: pins.etcd,
      binary: "etcd",
      links: [],
      ldflags: [],
    },
  },
  kwok: {
    id: "kwok",
    version: pins.kwok,
    files: ["kwok", "kwokctl"],
    release: (platform) => ({
      kind: "files",
      urls: {
        kwok: `https://github.com/kubernetes-sigs/kwok/releases/download/${pins.kwok}/kwok-${platform}`,
        kwokctl: `https://github.com/kubernetes-sigs/kwok/releases/download/${pins.kwok}/kwokctl-${platform}`,
      },
    }),
    build: {
      kind: "install",
      packages: ["sigs.k8s.io/kwok/cmd/kwok", "sigs.k8s.io/kwok/cmd/kwokctl"],
      version: pins.kwok,
    },
  },
  // kubernetes-csi publishes the sidecars as images only, so there is no release download.
  "csi-provisioner": {
    id: "csi-provisioner",
    version: pins.csiProvisioner,
    files: ["csi-provisioner"],
    release: () => undefined,
    build: {
      kind: "in-module",
      module: "github.com/kubernetes-csi/external-provisioner/v6",
      version: pins.csiProvisioner,
      packages: { "csi-provisioner": "./cmd/csi-provisioner" },
      ldflags: [`-X main.version=${pins.csiProvisioner}`],
    },
  },
  "csi-attacher": {
    id: "csi-attacher",
    version: pins.csiAttacher,
    files: ["csi-attacher"],
    release: () => undefined,
    build: {
      kind: "in-module",
      module: "github.com/kubernetes-csi/external-attacher/v4",
      version: pins.csiAttacher,
      packages: { "csi-attacher": "./cmd/csi-attacher" },
      ldflags: [`-X main.version=${pins.csiAttacher}`],
    },
  },
  "csi-spec": {
    id: "csi-spec",
    version: pins.csiSpec,
    files: ["csi.proto"],
    release: () => ({
      kind: "files",
      urls: {
        "csi.proto": `https://raw.githubusercontent.com/container-storage-interface/spec/${pins.csiSpec}/csi.proto`,
      },
    }),
    build: {
      kind: "module-files",
      module: "github.com/container-storage-interface/spec",
      version: pins.csiSpec,
      files: { "csi.proto": "csi.proto" },
    },
  },
  // The kubelet's plugin registration API, which the suite's CSI driver serves
  // itself on kind nodes, in place of node-driver-registrar.
  "kubelet-plugin-registration": {
    id: "kubelet-plugin-registration",
    version: stagingVersion(pins.kubernetes),
    files: ["pluginregistration.proto"],
    release: () => ({
      kind: "files",
      urls: {
        "pluginregistration.proto": `https://raw.githubusercontent.com/kubernetes/kubelet/${stagingVersion(pins.kubernetes)}/pkg/apis/pluginregistration/v1/api.proto`,
      },
    }),
    build: {
      kind: "module-files",
      module: "k8s.io/kubelet",
      version: stagingVersion(pins.kubernetes),
      files: { "pluginregistration.proto": "pkg/apis/pluginregistration/v1/api.proto" },
    },
  },
  kind: {
    id: "kind",
    version: pins.kind,
    files: ["kind"],
    release: (platform) => ({
      kind: "files",
      urls: { kind: `https://kind.sigs.k8s.io/dl/${pins.kind}/kind-${platform}` },
    }),
    build: { kind: "install", packages: ["sigs.k8s.io/kind"], version: pins.kind },
  },
  // Published as an image only; the air-gapped kind images are built from it.
  "local-path-provisioner": {
    id: "local-path-provisioner",
    version: pins.localPathProvisioner,
    files: ["local-path-provisioner"],
    release: () => undefined,
    build: {
      kind: "in-module",
      module: "github.com/rancher/local-path-provisioner",
      version: pins.localPathProvisioner,
      packages: { "local-path-provisioner": "." },
      ldflags: [`-X main.VERSION=${pins.localPathProvisioner}`],
    },
  },
  // Upstream's reference CSI driver and the kubelet registration sidecar, for the kind
  // cluster's hostpath.csi.k8s.io classes (clusters/kind/hostpath-install.ts); published as images only.
  "csi-hostpath": {
    id: "csi-hostpath",
    version: pins.csiHostpath,
    files: ["hostpathplugin"],
    release: () => undefined,
    build: {
      kind: "source-archive",
      archive: sourceArchives.csiHostpath,
      packages: { hostpathplugin: "./cmd/hostpathplugin" },
      ldflags: [`-X main.version=${pins.csiHostpath}`],
    },
  },
  "csi-node-driver-registrar": {
    id: "csi-node-driver-registrar",
    version: pins.nodeDriverRegistrar,
    files: ["csi-node-driver-registrar"],
    release: () => undefined,
    build: {
      kind: "source-archive",
      archive: sourceArchives.nodeDriverRegistrar,
      packages: { "csi-node-driver-registrar": "./cmd/csi-node-driver-registrar" },
      ldflags: [`-X main.version=${pins.nodeDriverRegistrar}`],
    },
  },
  // external-provisioner's own RBAC (deploy/kubernetes/rbac.yaml), which upstream's
  // csi-driver-host-path deploy script applies for its node-deployment provisioner.
  "csi-provisioner-rbac": {
    id: "csi-provisioner-rbac",
    version: pins.csiProvisioner,
    files: ["rbac.yaml"],
    release: () => undefined,
    build: {
      kind: "module-files",
      module: "github.com/kubernetes-csi/external-provisioner/v6",
      version: pins.csiProvisioner,
      files: { "rbac.yaml": "deploy/kubernetes/rbac.yaml" },
    },
  },
  // The CNCF conformance runner that runs the suite as a plugin (manifests/sonobuoy/amc.yaml);
  // its image is its own binary (clusters/kind/images/in-cluster-images.ts).
  sonobuoy: {
    id: "sonobuoy",
    version: pins.sonobuoy,
    files: ["sonobuoy"],
    release: (platform) => {
      const version = pins.sonobuoy.replace(/^v/, "");
      return {
        kind: "tarball",
        url: `https://github.com/vmware-tanzu/sonobuoy/releases/download/${pins.sonobuoy}/sonobuoy_${version}_${platform.replace("-", "_")}.tar.gz`,
        members: { sonobuoy: "sonobuoy" },
      };
    },
    build: {
      kind: "in-module",
      module: "github.com/vmware-tanzu/sonobuoy",
      version: pins.sonobuoy,
      packages: { sonobuoy: "." },
      // The module's own buildinfo still says v0.57.4; the release sets it, as here.
      ldflags: [`-X github.com/vmware-tanzu/sonobuoy/pkg/buildinfo.Version=${pins.sonobuoy}`],
    },
  },
  // The linter of the GitHub Actions workflows (app/ci/workflows.test.ts); no replace directives upstream.
  actionlint: {
    id: "actionlint",
    version: pins.actionlint,
    files: ["actionlint"],
    release: (platform) => {
      const version = pins.actionlint.replace(/^v/, "");
      return {
        kind: "tarball",
        url: `https://github.com/rhysd/actionlint/releases/download/${pins.actionlint}/actionlint_${version}_${platform.replace("-", "_")}.tar.gz`,
        members: { actionlint: "actionlint" },
      };
    },
    build: {
      kind: "install",
      packages: ["github.com/rhysd/actionlint/cmd/actionlint"],
      version: pins.actionlint,
    },
  },
};

/** Go's name for this machine's platform, as release artifacts use it. */
export function currentPlatform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${os}-${arch}`;
}
