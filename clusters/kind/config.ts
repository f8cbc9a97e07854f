import { stringify } from "yaml";
import { ZONE_LABEL } from "../../lib/labels.ts";
import { etcdImageTag } from "./images/image-set.ts";

/**
 * The kind cluster the suites run on: one control plane and four workers,
 * two in each of two zones: two in one zone so that a cross-node RWO test
 * meets the attach/detach controller, not a zone conflict; a second zone for
 * the zone scenarios; its second node so that the node-failure scenarios can
 * fail one node per fault mode at once, each lane a pair of nodes in one zone
 * (lib/failover/plan.ts). Rendered as kind's Cluster config.
 */

/** Each worker's zone, in the order kind names them (worker, worker2, worker3, worker4). */
export const KIND_WORKER_ZONES = ["amc-zone-a", "amc-zone-a", "amc-zone-b", "amc-zone-b"] as const;
/** Every zone of the cluster: the zonal class runs one node plugin per zone (csi-install.ts). */
export const KIND_ZONES: readonly string[] = [...new Set(KIND_WORKER_ZONES)];
/** The control plane's zone: a cloud's control plane sits in a zone too; its node plugins need one. */
export const KIND_CONTROL_PLANE_ZONE = KIND_WORKER_ZONES[0];
export const workerCount = KIND_WORKER_ZONES.length;

export interface KindClusterSpec {
  /** Host directory mounted into every node: the suite's "network" storage. */
  sharedDataHostDir: string;
  /** Mount point of that directory in the nodes. */
  sharedDataMount: string;
  /**
   * Set when the node image is the air-gapped one (images/build.ts): it has
   * no CoreDNS and no kindnet image, so the cluster gets a plain bridge CNI
   * config per node (`cniConfigs[i]`, host files) and no DNS add-on.
   */
  airGapped?: { cniConfigs: readonly string[] };
}

export function renderKindConfig(spec: KindClusterSpec): string {
  const mounts = (index: number) => [
    { hostPath: spec.sharedDataHostDir, containerPath: spec.sharedDataMount },
    ...(spec.airGapped
      ? [
          {
            hostPath: spec.airGapped.cniConfigs[index],
            containerPath: "/etc/cni/net.d/10-amc-bridge.conflist",
            readOnly: true,
          },
        ]
      : []),
  ];
  const patches = [
    // Kubelets since 1.35 refuse cgroup v1 hosts unless told otherwise; 1.36 still runs there.
    // A kubelet mounts an attachable volume only once its node status lists it in volumesInUse,
    // which it reports every nodeStatusUpdateFrequency (10 s by default): each pod start on such
    // storage waited up to 10 s for that. At 1 s the wait is the attach itself; nothing else
    // changes (the Lease, which node-failure detection reads, is renewed on its own 10 s clock).
    // maxPods: the suite's cases put their first pod on the same node (the first by name), and a
    // whole run on kind keeps more than the default 110 pods there at once: the scheduler then
    // preempted one case's pods for another case's high-priority preemptor. 250 fits the node's /24.
    stringify({
      kind: "KubeletConfiguration",
      failCgroupV1: false,
      nodeStatusUpdateFrequency: "1s",
      maxPods: 250,
    }),
    ...(spec.airGapped
      ? [
          stringify({ kind: "ClusterConfiguration", etcd: { local: { imageTag: etcdImageTag } } }),
          stringify({ kind: "InitConfiguration", skipPhases: ["preflight", "addon/coredns"] }),
        ]
      : []),
  ];
  const config = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    ...(spec.airGapped ? { networking: { disableDefaultCNI: true } } : {}),
    kubeadmConfigPatches: patches,
    nodes: [
      { role: "control-plane", labels: { [ZONE_LABEL]: KIND_CONTROL_PLANE_ZONE }, extraMounts: mounts(0) },
      ...KIND_WORKER_ZONES.map((zone, i) => ({
        role: "worker",
        labels: { [ZONE_LABEL]: zone },
        extraMounts: mounts(i + 1),
      })),
    ],
  };
  return stringify(config);
}

/**
 * A node's CNI config for the air-gapped cluster: a Linux bridge with its own
 * /24 per node and masquerading. Pods reach the API server through its
 * Service; pods on different nodes (Sonobuoy's worker and its aggregator)
 * through the routes podRoutes adds to every node once the cluster is up.
 */
export function renderBridgeCni(nodeIndex: number): string {
  return `${JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "amc-bridge",
      plugins: [
        {
          type: "bridge",
          bridge: "amc0",
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: podSubnet(nodeIndex) }]],
            routes: [{ dst: "0.0.0.0/0" }],
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** Arguments of the kind CLI calls the provider makes. */
export const kindArgs = {
  create: (name: string, image: string, configPath: string, kubeconfigPath: string) => [
    "create",
    "cluster",
    `--name=${name}`,
    `--image=${image}`,
    `--config=${configPath}`,
    `--kubeconfig=${kubeconfigPath}`,
  ],
  delete: (name: string, kubeconfigPath: string) => [
    "delete",
    "cluster",
    `--name=${name}`,
    `--kubeconfig=${kubeconfigPath}`,
  ],
  kubeconfig: (name: string) => ["get", "kubeconfig", `--name=${name}`],
  clusters: () => ["get", "clusters"],
  load: (name: string, images: readonly string[], nodes: readonly string[] = []) => [
    "load",
    "docker-image",
    `--name=${name}`,
    ...(nodes.length > 0 ? [`--nodes=${nodes.join(",")}`] : []),
    ...images,
  ],
  nodes: (name: string) => ["get", "nodes", `--name=${name}`],
};

/** Node `nodeIndex`'s pod subnet on the air-gapped cluster (0: the control plane, then the workers). */
export function podSubnet(nodeIndex: number): string {
  return `10.244.${200 + nodeIndex}.0/24`;
}

/** A node container's index in the kind config: "<cluster>-control-plane" 0, "-worker" 1, "-worker2" 2, ... */
export function nodeIndexOf(cluster: string, container: string): number | undefined {
  const role = container.startsWith(`${cluster}-`) ? container.slice(cluster.length + 1) : "";
  if (role === "control-plane") return 0;
  const worker = /^worker(\d*)$/.exec(role);
  if (!worker) return undefined;
  return worker[1] ? Number(worker[1]) : 1;
}

/**
 * The routes each node needs to reach the other nodes' pods (the bridge CNI
 * has none of its own): for every node, the other nodes' subnets via their
 * addresses on kind's Docker network.
 */
export function podRoutes(
  nodes: readonly { container: string; index: number; address: string }[],
): Map<string, string[][]> {
  return new Map(
    nodes.map((node) => [
      node.container,
      nodes
        .filter((other) => other.index !== node.index)
        .map((other) => ["ip", "route", "replace", podSubnet(other.index), "via", other.address]),
    ]),
  );
}
