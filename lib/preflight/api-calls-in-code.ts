import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { resources } from "../kube/resources.ts";
import { resourceName } from "./permissions.ts";

/**
 * The API calls the suite's run-time code makes, found by reading it: typed
 * client calls, the waiter's list-and-watch sources, exec, and the generic
 * client's objects. The permission list and the in-cluster roles are checked
 * against it (permissions.test.ts, in-cluster-role.test.ts), so that neither
 * can lag behind the code.
 */

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
export function usedByCode(): Map<string, string> {
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
    // An exec is a WebSocket upgrade: a GET that the API server authorizes as get, and as create since 1.35.
    if (/\bexecInPod\(/.test(text) && !file.endsWith("exec.ts")) {
      for (const verb of ["create", "get"]) used.set(`${verb} pods/exec`, where);
    }
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
