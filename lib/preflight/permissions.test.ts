import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resources } from "../kube/resources.ts";
import {
  accessQuestions,
  missingPermissionsMessage,
  neededPermissions,
  resourceName,
  suitePermissions,
} from "./permissions.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The suite's run-time code: what runs against a cluster the suite does not own. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}

const groups: Record<string, string> = {
  core: "",
  storage: "storage.k8s.io",
  scheduling: "scheduling.k8s.io",
};
const verbs: Record<string, string> = {
  create: "create",
  delete: "delete",
  deleteCollection: "deletecollection",
  list: "list",
  read: "get",
  patch: "patch",
  replace: "update",
};

/** "createNamespacedPod" on kube.core -> create pods; "listPriorityClass" on kube.scheduling -> list priorityclasses. */
function apiCall(client: string, method: string): string | undefined {
  const match =
    /^(deleteCollection|create|delete|list|read|patch|replace)(?:Namespaced)?([A-Z]\w*?)(?:ForAllNamespaces)?$/.exec(
      method,
    );
  if (!match) return undefined;
  const kind = (match[2] as string).toLowerCase();
  const resource = kind.endsWith("s") ? `${kind}es` : `${kind}s`;
  return `${verbs[match[1] as string]} ${resourceName({ group: groups[client] ?? "?", resource })}`;
}

/** Every "verb resource" the code uses: typed API calls, the waiter's list-and-watch sources, exec. */
function usedByCode(): Map<string, string> {
  const used = new Map<string, string>();
  const waited = Object.entries(resources);
  for (const file of [...sourceFiles("lib"), ...sourceFiles("suites"), ...sourceFiles("app")]) {
    const text = readFileSync(file, "utf8");
    const where = relative(root, file);
    for (const [, client, method] of text.matchAll(/kube\.(core|storage|scheduling)\s*\.(\w+)\(/g)) {
      const call = apiCall(client as string, method as string);
      if (call) used.set(call, where);
    }
    if (file.endsWith("resources.ts")) continue;
    for (const [key, resource] of waited) {
      if (!text.includes(`resources.${key}`)) continue;
      const group = resource.apiVersion.includes("/") ? (resource.apiVersion.split("/")[0] as string) : "";
      for (const verb of ["list", "watch"])
        used.set(`${verb} ${resourceName({ group, resource: resource.plural })}`, where);
    }
    if (/\bexecInPod\(/.test(text) && !file.endsWith("exec.ts")) used.set("create pods/exec", where);
    // Objects of other API groups go through the generic client: the node-failure writer's
    // Deployment, the workloads family's Deployments and StatefulSets.
    for (const [, verb] of text.matchAll(/kube\.objects\s*\.(create|delete|patch)\(/g)) {
      if (/"Deployment"|renderWriter\(|renderWorkload\(/.test(text))
        used.set(`${verb} deployments.apps`, where);
      if (/"StatefulSet"|renderWorkload\(/.test(text)) used.set(`${verb} statefulsets.apps`, where);
      if (/kind: "PersistentVolume"/.test(text)) used.set(`${verb} persistentvolumes`, where);
    }
  }
  return used;
}

const listed = new Set(accessQuestions(suitePermissions).map((q) => `${q.verb} ${resourceName(q)}`));

describe("the permission list", () => {
  const used = usedByCode();

  it("has every permission the code uses", () => {
    const missing = [...used]
      .filter(([call]) => !listed.has(call))
      .map(([call, file]) => `${call} (${file})`);
    expect(missing).toEqual([]);
  });

  it("asks for nothing the code does not use", () => {
    expect([...listed].filter((permission) => !used.has(permission))).toEqual([]);
  });

  it("drops pods/exec on simulated nodes and the PriorityClass writes when rwop-preemption does not run", () => {
    const names = (fidelity: "full" | "control-plane", scenarios: string[], nodeFaults = true) =>
      accessQuestions(neededPermissions({ fidelity, scenarios, nodeFaults })).map(
        (q) => `${q.verb} ${resourceName(q)}`,
      );
    expect(names("full", [])).toContain("create pods/exec");
    expect(names("full", [])).toContain("create priorityclasses.scheduling.k8s.io");
    expect(names("control-plane", [])).not.toContain("create pods/exec");
    const withoutPreemption = names("full", ["rwo-cross-node"]);
    expect(withoutPreemption).not.toContain("create priorityclasses.scheduling.k8s.io");
    // The clean-up still looks for earlier runs' PriorityClasses.
    expect(withoutPreemption).toContain("list priorityclasses.scheduling.k8s.io");
    // Tainting nodes and the writer's Deployment only when a node-failure scenario runs.
    expect(withoutPreemption).not.toContain("update nodes");
    expect(withoutPreemption).not.toContain("create deployments.apps");
    expect(names("control-plane", ["rwo-node-out-of-service"])).toContain("update nodes");
    expect(names("control-plane", ["rwo-node-loss"])).toContain("create deployments.apps");
    // The workloads family's Deployments and StatefulSets only when one of its scenarios runs.
    expect(withoutPreemption).not.toContain("patch deployments.apps");
    expect(names("control-plane", ["rwo-statefulset-reschedule"])).toContain("patch statefulsets.apps");
    expect(names("control-plane", ["rwo-rollout"])).toContain("watch deployments.apps");
    // Without the opt-in to fail a node they do not run: nothing of theirs is asked for.
    expect(names("full", [], false)).not.toContain("update nodes");
  });
});

describe("the missing-permission message", () => {
  it("names the user, the server, and every missing verb grouped by resource, with why", () => {
    const questions = accessQuestions(neededPermissions({ fidelity: "full", scenarios: [] }));
    const denied = questions.filter(
      (q) =>
        q.resource === "namespaces" ||
        (q.resource === "pods" && q.subresource === "exec") ||
        (q.resource === "volumeattachments" && q.verb === "watch"),
    );
    const message = missingPermissionsMessage(denied, {
      user: "system:serviceaccount:team-a:ci",
      context: "ci@prod",
      server: "https://10.0.0.1:6443",
    });
    expect(message.split("\n")).toEqual([
      'user system:serviceaccount:team-a:ci (context "ci@prod") lacks 6 permission(s) the suite needs on https://10.0.0.1:6443 (namespaced ones in every namespace):',
      "  - create, delete, list, watch namespaces: each scenario runs in a namespace of its own, found and removed by the run's label",
      "  - create pods/exec: kubelet-level checks write and read a token in the volume (the node-failure scenarios, the writer's log)",
      "  - watch volumeattachments.storage.k8s.io: attachments show where the attach/detach controller attached a volume",
      "grant them with a ClusterRole and ClusterRoleBinding (docs/existing-clusters.md lists them all), or use other credentials (--kubeconfig, --context)",
    ]);
  });
});
