import { readFileSync } from "node:fs";
import type { V1ClusterRole } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { usedByCode } from "./api-calls-in-code.ts";
import { accessQuestions, resourceName, suitePermissions } from "./permissions.ts";

/**
 * The ClusterRoles of manifests/in-cluster/rbac.yaml against the code and the
 * preflight's permission list: a new API call the roles do not grant, or a
 * grant nothing asks for, fails here.
 */

const documents = parseAllDocuments(
  readFileSync(new URL("../../manifests/in-cluster/rbac.yaml", import.meta.url), "utf8"),
).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
const role = (name: string) => {
  const found = documents.find((d) => d.kind === "ClusterRole" && d.metadata.name === name);
  if (!found) throw new Error(`manifests/in-cluster/rbac.yaml has no ClusterRole ${name}`);
  return found as V1ClusterRole;
};
/** "verb resource" for every grant of a role, as permissions.ts names them. */
const grants = (r: V1ClusterRole) =>
  new Set(
    (r.rules ?? []).flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          (rule.verbs ?? []).map((verb) => {
            const [plural = "", subresource] = resource.split("/");
            return `${verb} ${resourceName({ group, resource: plural, ...(subresource ? { subresource } : {}) })}`;
          }),
        ),
      ),
    ),
  );
const base = grants(role("access-mode-conformance"));
const nodeFaults = grants(role("access-mode-conformance-node-faults"));
const both = new Set([...base, ...nodeFaults]);
const listed = (when: (p: (typeof suitePermissions)[number]) => boolean) =>
  new Set(accessQuestions(suitePermissions.filter(when)).map((q) => `${q.verb} ${resourceName(q)}`));

describe("the in-cluster ClusterRoles", () => {
  it("grant every API call the code makes", () => {
    const missing = [...usedByCode()]
      .filter(([call]) => !both.has(call))
      .map(([call, file]) => `${call} (${file})`);
    expect(missing).toEqual([]);
  });

  it("grant the permission list, the node faults' part in a role of its own, and nothing more", () => {
    const faults = (p: (typeof suitePermissions)[number]) =>
      p.when === "node-failure" || p.when === "zone-down";
    const forNodeFaults = listed(faults);
    const forTheRest = listed((p) => !faults(p));
    expect([...forTheRest].filter((g) => !base.has(g))).toEqual([]);
    expect([...base].filter((g) => !forTheRest.has(g))).toEqual([]);
    // What the node faults need beyond the base role, and only that.
    expect([...nodeFaults].sort()).toEqual([...forNodeFaults].filter((g) => !base.has(g)).sort());
  });

  it("bind the base role only: the node faults are the operator's choice", () => {
    const bindings = documents.filter((d) => d.kind === "ClusterRoleBinding") as unknown as {
      roleRef: { name: string };
    }[];
    expect(bindings.map((b) => b.roleRef.name)).toEqual(["access-mode-conformance"]);
  });
});
