import { spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { V1Node, V1Taint } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClusterInfo } from "../../lib/cluster/contract.ts";
import { OUT_OF_SERVICE_TAINT } from "../../lib/kube/taints.ts";
import { reportRun } from "../../lib/report/write.ts";
import type { CleanupTask } from "./task.ts";

/**
 * The guardian process itself, as startGuardian runs it: told a task line by
 * line on its stdin, woken when the pipe closes (here: closed by the test, as
 * the death of the run's process closes it).
 */

const guardianMain = fileURLToPath(new URL("./guardian-main.ts", import.meta.url));
const testdata = fileURLToPath(new URL("../../lib/report/testdata/run", import.meta.url));
const runId = "20261121t121940-db37";
let reportDir = "";
const records = () => join(reportDir, "records", runId);

beforeEach(async () => {
  reportDir = await mkdtemp(join(tmpdir(), "amc-guardian-"));
  await cp(testdata, records(), { recursive: true });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(reportDir, { recursive: true, force: true });
});

/** Runs the guardian with these lines on its stdin, then closes it, as the run's end does. */
function guardianAfter(
  messages: object[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [guardianMain], { stdio: ["pipe", "inherit", "pipe"], env });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  for (const message of messages) child.stdin.write(`${JSON.stringify(message)}\n`);
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

async function reportFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const dir of [reportDir, records()]) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) files[join(dir, entry.name)] = await readFile(join(dir, entry.name), "utf8");
    }
  }
  return files;
}

const reportTask = (): CleanupTask => ({ report: { reportDir, runId } });

describe("the guardian", () => {
  it("never replaces the reports of a run that wrote them complete", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const complete = await reportRun(reportDir, runId, {
      finishedAt: "2026-11-21T12:20:08.788Z",
      status: "complete",
    });
    const before = await reportFiles();

    // The run's teardown failed after the reports (removing its objects): it neither dismissed the guardian nor told it.
    const guardian = await guardianAfter([{ update: reportTask() }]);

    expect(guardian.stderr).toContain("[amc guardian] the run's reports are complete; left as they are");
    expect(guardian.stderr).not.toContain("interrupted run written");
    expect(await reportFiles()).toEqual(before);
    const json = JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8"));
    expect(json.run.status).toBe("complete");
    expect(await readFile(join(reportDir, "certification.json.sha256"), "utf8")).toBe(
      `${complete?.digest}  certification.json\n`,
    );
    expect(guardian.code).toBe(0);
  });

  it("drops what the run says it did itself", async () => {
    await rm(join(records(), "end.json"));
    const guardian = await guardianAfter([{ update: reportTask() }, { done: ["report"] }]);
    expect(guardian.stderr).toBe("");
    expect(guardian.code).toBe(0);
    expect(await readdir(reportDir)).toEqual(["records"]);
  });

  it("writes the reports of an interrupted run", async () => {
    await rm(join(records(), "end.json"));
    const guardian = await guardianAfter([{ update: reportTask() }]);
    expect(guardian.stderr).toContain(
      "[amc guardian] the test run ended without finishing (interrupted or killed); finishing it",
    );
    expect(guardian.stderr).toContain(`reports of the interrupted run written to ${reportDir}`);
    const json = JSON.parse(await readFile(join(reportDir, "certification.json"), "utf8"));
    expect(json.run.status).toBe("interrupted");
    expect(guardian.code).toBe(0);
  });
});

/** An API server with one node, as far as reading and replacing it goes; it records the requests. */
async function nodeApi(name: string, taints: V1Taint[]) {
  const api = {
    node: {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, resourceVersion: "1" },
      spec: { taints },
    } as V1Node,
    requests: [] as string[],
    server: undefined as Server | undefined,
    kubeconfigPath: join(reportDir, "kubeconfig"),
  };
  api.server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      api.requests.push(`${request.method} ${request.url}`);
      if (request.url !== `/api/v1/nodes/${name}`) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound" }));
        return;
      }
      if (request.method === "PUT") {
        const sent = JSON.parse(body) as V1Node;
        api.node = { ...sent, metadata: { ...sent.metadata, resourceVersion: "2" } };
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(api.node));
    });
  });
  const server = api.server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await writeFile(
    api.kubeconfigPath,
    [
      "apiVersion: v1",
      "kind: Config",
      "current-context: x",
      "clusters:",
      "- name: c",
      "  cluster:",
      `    server: http://127.0.0.1:${port}`,
      // The client refuses plain HTTP unless told not to verify TLS.
      "    insecure-skip-tls-verify: true",
      "contexts:",
      "- name: x",
      "  context:",
      "    cluster: c",
      "    user: u",
      "users:",
      "- name: u",
      "  user:",
      "    token: t",
      "",
    ].join("\n"),
  );
  return api;
}

describe("the guardian and a failed node", () => {
  const unreachable: V1Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" };
  let api: Awaited<ReturnType<typeof nodeApi>> | undefined;
  afterEach(async () => {
    const server = api?.server;
    if (server) await new Promise((resolve) => server.close(resolve));
    api = undefined;
  });

  /** The task of a run that failed node `worker-1` of an existing cluster and died. */
  const failedNodeTask = (kubeconfigPath: string): CleanupTask => {
    const cluster: ClusterInfo = {
      provider: "kubeconfig",
      name: "existing",
      kubeconfigPath,
      kubernetesVersion: "v1.36.0",
      fidelity: "full",
      nodes: [{ name: "worker-1" }, { name: "worker-2" }],
    };
    return { ...reportTask(), nodeFaults: { provider: "kubeconfig", cluster, nodes: ["worker-1"] } };
  };
  /** The run's opt-in, inherited by its guardian, with this restore command. */
  const optIn = (restore: string): NodeJS.ProcessEnv => ({
    ...process.env,
    AMC_ALLOW_NODE_FAULTS: "1",
    AMC_NODE_FAIL_COMMAND: "false",
    AMC_NODE_RESTORE_COMMAND: restore,
    AMC_NODE_FAULT_MODE: "kubelet-stopped",
  });

  it("restores the node and removes the out-of-service taint before it writes the reports", async () => {
    await rm(join(records(), "end.json"));
    api = await nodeApi("worker-1", [unreachable, OUT_OF_SERVICE_TAINT]);
    const restored = join(reportDir, "restored");
    const guardian = await guardianAfter(
      [{ update: reportTask() }, { update: failedNodeTask(api.kubeconfigPath) }],
      optIn(`echo "{node} $AMC_NODE_FAULT_MODE" >> ${restored}`),
    );

    expect(await readFile(restored, "utf8")).toBe("worker-1 kubelet-stopped\n");
    expect(api.node.spec?.taints).toEqual([unreachable]);
    expect(api.requests).toEqual(["GET /api/v1/nodes/worker-1", "PUT /api/v1/nodes/worker-1"]);
    const lines = guardian.stderr.split("\n");
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    expect(at("[amc guardian] restored node worker-1 of kubeconfig cluster existing (kubelet-stopped)")).toBe(
      1,
    );
    expect(at("[amc guardian] removed the out-of-service taint from node worker-1")).toBe(2);
    expect(at("reports of the interrupted run written")).toBe(3);
    expect(guardian.code).toBe(0);
  });

  it("goes on after a restore that fails, and says so", async () => {
    await rm(join(records(), "end.json"));
    api = await nodeApi("worker-1", [OUT_OF_SERVICE_TAINT]);
    const guardian = await guardianAfter(
      [{ update: failedNodeTask(api.kubeconfigPath) }],
      optIn("echo 'instance {node} is gone' >&2; exit 3"),
    );

    expect(guardian.stderr).toContain(
      "[amc guardian] restoring node worker-1 of kubeconfig cluster existing failed: AMC_NODE_RESTORE_COMMAND for node worker-1 failed (exit 3)",
    );
    expect(guardian.stderr).toContain("instance worker-1 is gone");
    expect(api.node.spec?.taints).toEqual([]);
    expect(guardian.stderr).toContain("reports of the interrupted run written");
    expect(guardian.code).toBe(1);
  });

  it("restores no node without the run's opt-in, and still removes the taint", async () => {
    api = await nodeApi("worker-1", [OUT_OF_SERVICE_TAINT]);
    const { AMC_ALLOW_NODE_FAULTS: _, ...withoutOptIn } = optIn("true");
    const guardian = await guardianAfter(
      [{ update: failedNodeTask(api.kubeconfigPath) }, { done: ["report"] }],
      withoutOptIn,
    );
    expect(guardian.stderr).toContain(
      "[amc guardian] restoring node worker-1 of kubeconfig cluster existing failed: failing a node of an existing cluster needs the user's opt-in",
    );
    expect(guardian.stderr).toContain("removed the out-of-service taint from node worker-1");
    expect(guardian.code).toBe(1);
  });
});
