import { describe, expect, it } from "vitest";
import { usedByCode } from "./api-calls-in-code.ts";
import {
  accessQuestions,
  missingPermissionsMessage,
  neededPermissions,
  resourceName,
  suitePermissions,
} from "./permissions.ts";

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
      'user system:serviceaccount:team-a:ci (context "ci@prod") lacks 7 permission(s) the suite needs on https://10.0.0.1:6443 (namespaced ones in every namespace):',
      "  - create, delete, list, watch namespaces: each scenario runs in a namespace of its own, found and removed by the run's label",
      "  - create, get pods/exec: kubelet-level checks write and read a token in the volume (the node-failure scenarios, the writer's log); over a WebSocket, which Kubernetes authorizes as get and, since 1.35, create",
      "  - watch volumeattachments.storage.k8s.io: attachments show where the attach/detach controller attached a volume",
      "grant them with a ClusterRole and ClusterRoleBinding (docs/existing-clusters.md lists them all), or use other credentials (--kubeconfig, --context)",
    ]);
  });
});
