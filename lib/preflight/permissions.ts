import type { Fidelity } from "../cluster/fidelity.ts";
import { allScenarios, failoverScenarios, workloadScenarios } from "../scenario/scenarios.ts";

/**
 * The API permissions the suite needs, as data, each with why. The list
 * follows what the code does (permissions.test.ts checks it against the
 * API calls in lib/ and suites/). Namespaced resources are needed in every
 * namespace: each scenario runs in a namespace of its own with a random
 * name, so only a ClusterRole grants them.
 */

export interface Permission {
  verbs: readonly string[];
  /** API group; "" is the core group. */
  group: string;
  resource: string;
  subresource?: string;
  why: string;
  /**
   * Needed only on real kubelets (kubelet-level checks), or only when the
   * preemption, ReadOnlyMany (their seeded volume), workloads, node-failure
   * or zone-failover scenarios run.
   */
  when?: "real-kubelets" | "preemption" | "seeded" | "workloads" | "node-failure" | "zone-down";
  /** Set when the run works without it: what is lost then. */
  optional?: string;
}

export const suitePermissions: readonly Permission[] = [
  {
    verbs: ["create", "delete", "list", "watch"],
    group: "",
    resource: "namespaces",
    why: "each scenario runs in a namespace of its own, found and removed by the run's label",
  },
  {
    verbs: ["list", "watch"],
    group: "",
    resource: "serviceaccounts",
    why: "pods are refused until a new namespace's default ServiceAccount exists",
  },
  {
    verbs: ["create", "delete", "deletecollection", "list", "watch"],
    group: "",
    resource: "pods",
    why: "the scenarios' pods, watched for the control plane's decision",
  },
  {
    verbs: ["get"],
    group: "",
    resource: "pods",
    why: "a run inside the cluster is gone when its pod is: the objects it left are removed by the next run or amc cleanup",
    optional:
      "what a run inside the cluster left is removed only six hours after it started (or by amc cleanup --run ID)",
  },
  {
    // The client execs over a WebSocket, whose upgrade is a GET: the API server authorizes `get`, and
    // since 1.35 (AuthorizePodWebsocketUpgradeCreatePermission) `create` as well. A role with `create`
    // alone is refused with 403 (found by the in-cluster Job on kind, suites/in-cluster.e2e.test.ts).
    verbs: ["create", "get"],
    group: "",
    resource: "pods",
    subresource: "exec",
    why: "kubelet-level checks write and read a token in the volume (the node-failure scenarios, the writer's log); over a WebSocket, which Kubernetes authorizes as get and, since 1.35, create",
    when: "real-kubelets",
  },
  {
    verbs: ["create", "deletecollection", "list", "watch"],
    group: "",
    resource: "persistentvolumeclaims",
    why: "the scenarios' claims",
  },
  {
    verbs: ["list", "watch"],
    group: "",
    resource: "events",
    why: "the scheduler's, attach/detach controller's and kubelet's events are the evidence",
  },
  {
    verbs: ["get", "list", "watch"],
    group: "",
    resource: "persistentvolumes",
    why: "a claim's volume shows the storage's node affinity, and the run waits for its volumes to be gone",
  },
  {
    verbs: ["delete"],
    group: "",
    resource: "persistentvolumes",
    why: "to remove the volume of a claim the run provisioned when its class keeps volumes (reclaim policy Retain)",
    optional:
      "volumes of classes with reclaim policy Retain are left Released after the run (they are named in the run's output)",
  },
  { verbs: ["list"], group: "", resource: "nodes", why: "to choose the nodes the pods go to" },
  {
    verbs: ["list"],
    group: "storage.k8s.io",
    resource: "storageclasses",
    why: "the classes under test",
  },
  {
    verbs: ["list"],
    group: "storage.k8s.io",
    resource: "csidrivers",
    why: "a CSIDriver's attachRequired decides a class's storage family",
  },
  {
    verbs: ["get", "create", "delete"],
    group: "storage.k8s.io",
    resource: "storageclasses",
    why: "amc certify makes the class an upstream test-driver file asks for (StorageClass.FromFile, FromName), and removes it after",
    optional: "amc certify cannot certify a test-driver file whose class it would have to make",
  },
  {
    verbs: ["list"],
    group: "storage.k8s.io",
    resource: "csinodes",
    why: "a class's pods go only to nodes where its CSI driver has a node plugin (the node's CSINode lists it)",
    optional: "every node is taken to have every CSI driver's node plugin",
  },
  {
    verbs: ["list", "watch"],
    group: "storage.k8s.io",
    resource: "volumeattachments",
    why: "attachments show where the attach/detach controller attached a volume",
  },
  {
    verbs: ["list"],
    group: "scheduling.k8s.io",
    resource: "priorityclasses",
    why: "the clean-up finds the PriorityClasses of earlier runs by their label",
  },
  {
    verbs: ["create", "delete"],
    group: "scheduling.k8s.io",
    resource: "priorityclasses",
    why: "the preemption scenarios (rwop-preemption, its raw block twin, rwop-preemption-namespaces) give their pods a low and a high PriorityClass of the run's own",
    when: "preemption",
  },
  {
    verbs: ["create"],
    group: "apps",
    resource: "deployments",
    why: "the node-failure scenarios' writer is a Deployment, so that a replacement follows its eviction",
    when: "node-failure",
  },
  {
    verbs: ["create", "patch", "list", "watch"],
    group: "apps",
    resource: "deployments",
    why: "the workloads family's rollouts: a Deployment created, its pod template changed, its Progressing condition watched",
    when: "workloads",
  },
  {
    verbs: ["create", "patch"],
    group: "apps",
    resource: "statefulsets",
    why: "rwo-statefulset-reschedule's StatefulSet, its pod template changed to move its pod",
    when: "workloads",
  },
  {
    verbs: ["get", "update", "watch"],
    group: "",
    resource: "nodes",
    why: "the node-failure scenarios watch the failed node and add and remove the out-of-service taint",
    when: "node-failure",
  },
  {
    verbs: ["get", "update"],
    group: "",
    resource: "nodes",
    why: "rwo-zone-failover takes a zone down: a NoSchedule taint added to each of its nodes, and removed",
    when: "zone-down",
  },
  {
    verbs: ["get"],
    group: "",
    resource: "persistentvolumeclaims",
    why: "the node-failure scenarios read which volume their writer's claim is bound to",
    when: "node-failure",
  },
  {
    verbs: ["delete"],
    group: "",
    resource: "persistentvolumeclaims",
    why: "the ReadOnlyMany scenarios fill a volume through a ReadWriteOnce claim, then delete that claim to re-bind the volume",
    when: "seeded",
  },
  {
    verbs: ["patch"],
    group: "",
    resource: "persistentvolumes",
    why: "the ReadOnlyMany scenarios re-bind the volume the run provisioned: its reclaim policy kept for the move, its access modes and claimRef set, its reclaim policy restored",
    when: "seeded",
  },
];

export interface PermissionContext {
  fidelity: Fidelity;
  /** Scenario ids the run is to run; empty means all. */
  scenarios: readonly string[];
  /**
   * The run may fail a node or take a zone down (the user opted in): the
   * node-failure and zone-failover scenarios' permissions are needed only
   * then, as those scenarios are not applicable otherwise.
   */
  nodeFaults?: boolean;
}

/** The permissions this run needs, given the cluster's fidelity and the scenarios chosen. */
export function neededPermissions(
  context: PermissionContext,
  permissions: readonly Permission[] = suitePermissions,
): Permission[] {
  const selected = (ids: readonly string[]) =>
    context.scenarios.length === 0 || ids.some((id) => context.scenarios.includes(id));
  const withStep = (kind: string) =>
    allScenarios.filter((s) => s.steps.some((step) => step.do === kind)).map((s) => s.id);
  const preemption = selected(withStep("preempt"));
  const workloads = selected(workloadScenarios.map((s) => s.id));
  const seeded = selected(withStep("seed"));
  const nodeFailure = (context.nodeFaults ?? false) && selected(failoverScenarios.map((s) => s.id));
  const zoneDown = (context.nodeFaults ?? false) && selected(withStep("zone-down"));
  return permissions.filter(
    (p) =>
      (p.when !== "real-kubelets" || context.fidelity === "full") &&
      (p.when !== "preemption" || preemption) &&
      (p.when !== "workloads" || workloads) &&
      (p.when !== "seeded" || seeded) &&
      (p.when !== "node-failure" || nodeFailure) &&
      (p.when !== "zone-down" || zoneDown),
  );
}

/** One question for a SelfSubjectAccessReview: may I do this verb on this resource, in every namespace? */
export interface AccessQuestion {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  permission: Permission;
}

export function accessQuestions(permissions: readonly Permission[]): AccessQuestion[] {
  return permissions.flatMap((permission) =>
    permission.verbs.map((verb) => ({
      verb,
      group: permission.group,
      resource: permission.resource,
      ...(permission.subresource ? { subresource: permission.subresource } : {}),
      permission,
    })),
  );
}

/** "pods/exec", "storageclasses.storage.k8s.io": how RBAC rules and kubectl name a resource. */
export function resourceName(q: Pick<AccessQuestion, "group" | "resource" | "subresource">): string {
  const resource = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  return q.group ? `${resource}.${q.group}` : resource;
}

/** One line per resource: "  - create, delete namespaces: each scenario runs in ...". */
export function permissionLines(denied: readonly AccessQuestion[]): string[] {
  return [...verbsByPermission(denied)].map(
    ([permission, verbs]) => `  - ${verbs.join(", ")} ${resourceName(permission)}: ${permission.why}`,
  );
}

/** The denied verbs of each permission, in the order the questions came. */
export function verbsByPermission(denied: readonly AccessQuestion[]): Map<Permission, string[]> {
  const byPermission = new Map<Permission, string[]>();
  for (const question of denied) {
    byPermission.set(question.permission, [...(byPermission.get(question.permission) ?? []), question.verb]);
  }
  return byPermission;
}

/** Who is asking, for the message. */
export interface Asker {
  /** The user the API server sees (SelfSubjectReview), when it says. */
  user?: string;
  context: string;
  server: string;
}

export function missingPermissionsMessage(denied: readonly AccessQuestion[], asker: Asker): string {
  const who = asker.user ? `user ${asker.user} (context "${asker.context}")` : `context "${asker.context}"`;
  return [
    `${who} lacks ${denied.length} permission(s) the suite needs on ${asker.server} (namespaced ones in every namespace):`,
    ...permissionLines(denied),
    "grant them with a ClusterRole and ClusterRoleBinding (docs/existing-clusters.md lists them all), or use other credentials (--kubeconfig, --context)",
  ].join("\n");
}
