import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { stringify } from "yaml";
import { withLock } from "../../lib/lock.ts";
import { say } from "../../lib/progress.ts";
import { ComponentExitedError, waitForComponentsListening } from "./kwokctl-components.ts";

/**
 * kwokctl with the binary runtime: a real etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler as host processes, and
 * kwok-controller simulating the nodes. Its state lives in an isolated
 * KWOK_WORKDIR under the suite's cache, never in the user's ~/.kwok.
 */

export interface ControlPlaneBinaries {
  kwokctl: string;
  kwok: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  etcd: string;
}

/**
 * The node label that fails a node (node-faults.ts): kwok-controller manages
 * only the nodes without it. Its value is the fault's mode.
 */
export const NODE_FAULT_LABEL = "access-mode-conformance/node-fault";

/**
 * kwok-controller's arguments beyond kwokctl's: every node but a failed one.
 * kwokctl starts it with --manage-all-nodes=true, which watches every node;
 * with a label selector instead, the API server ends the watch of a node
 * that gets the label with a DELETED event, and kwok stops simulating its
 * kubelet: no Lease renewals, no status, its pods left alone. (An annotation
 * selector would not do: kwok filters annotations itself and keeps managing
 * a node whose annotation changes.) Without the label the node is ADDED again
 * and kwok takes it back.
 */
export const kwokControllerArgs = [
  { key: "manage-all-nodes", value: "false", override: true },
  { key: "manage-nodes-with-label-selector", value: `!${NODE_FAULT_LABEL}` },
] as const;

/**
 * Kubernetes' own heartbeat timing: the kubelet's 40 s Lease, renewed every
 * 10 s, and kube-controller-manager's --node-monitor-period 5s and
 * --node-monitor-grace-period 50s (since 1.32). kwokctl multiplies its own
 * (40 s grace period) by a heartbeatFactor of 5 unless told otherwise, which
 * would leave a failed node Ready for 3m20s.
 */
export const heartbeatTiming = {
  heartbeatFactor: 1,
  nodeLeaseDurationSeconds: 40,
  kubeControllerManagerNodeMonitorPeriodMilliseconds: 5_000,
  kubeControllerManagerNodeMonitorGracePeriodMilliseconds: 50_000,
} as const;

/**
 * kwokctl's `disableQPSLimits`: no client-side rate limits in
 * kube-controller-manager and kube-scheduler (`--kube-api-qps=5000
 * --kube-api-burst=10000` for 20/30 and 50/100), and no limit of requests in
 * flight in kube-apiserver (`--max-requests-inflight=0
 * --max-mutating-requests-inflight=0 --enable-priority-and-fairness=false`).
 * Those limits protect a shared API server from its many clients; here every
 * client is the suite's, and they turned a matrix's bursts (a claim, two pods
 * and a namespace per case, side by side) into queues: the persistent-volume
 * binder, the service-account and namespace controllers waited on their
 * client's 20 requests a second, the scheduler's bindings on its 50. What the
 * controllers decide is unchanged; only how soon.
 */
export const disableQPSLimits = true;

/** The KwokctlConfiguration the suite creates clusters with. */
export function kwokctlConfig(binaries: ControlPlaneBinaries): string {
  return stringify({
    apiVersion: "config.kwok.x-k8s.io/v1alpha1",
    kind: "KwokctlConfiguration",
    options: {
      runtime: "binary",
      // Every component listens on loopback only.
      bindAddress: "127.0.0.1",
      kubeApiserverBinary: binaries.kubeApiserver,
      kubeControllerManagerBinary: binaries.kubeControllerManager,
      kubeSchedulerBinary: binaries.kubeScheduler,
      kwokControllerBinary: binaries.kwok,
      kubectlBinary: binaries.kubectl,
      etcdBinary: binaries.etcd,
      ...heartbeatTiming,
      disableQPSLimits,
    },
    componentsPatches: [{ name: "kwok-controller", extraArgs: kwokControllerArgs }],
  });
}

/**
 * What a cluster was created with, but for the binaries' paths: a cluster
 * whose fingerprint differs runs with other flags (one of an older amc, say,
 * whose kwok cannot fail a node), and `up` creates it again instead of
 * reusing it.
 */
export function kwokctlConfigFingerprint(): string {
  const placeholders: ControlPlaneBinaries = {
    kwokctl: "kwokctl",
    kwok: "kwok",
    kubeApiserver: "kube-apiserver",
    kubeControllerManager: "kube-controller-manager",
    kubeScheduler: "kube-scheduler",
    kubectl: "kubectl",
    etcd: "etcd",
  };
  return createHash("sha256").update(kwokctlConfig(placeholders)).digest("hex").slice(0, 16);
}

export function clusterDir(kwokWorkdir: string, name: string): string {
  return join(kwokWorkdir, "clusters", name);
}

export function kubeconfigPath(kwokWorkdir: string, name: string): string {
  return join(clusterDir(kwokWorkdir, name), "kubeconfig.yaml");
}

export function createClusterArgs(name: string, configPath: string): string[] {
  // --kubeconfig "": do not add a context to the user's ~/.kube/config.
  return ["create", "cluster", `--name=${name}`, `--config=${configPath}`, "--kubeconfig=", "--wait=120s"];
}

export function deleteClusterArgs(name: string, configPath: string, ownKubeconfig: string): string[] {
  // kwokctl delete refuses an empty --kubeconfig; the cluster's own file keeps the user's untouched.
  return ["delete", "cluster", `--name=${name}`, `--config=${configPath}`, `--kubeconfig=${ownKubeconfig}`];
}

async function kwokctl(kwokctlPath: string, kwokWorkdir: string, args: string[]): Promise<void> {
  const result = await execa(kwokctlPath, args, {
    env: { KWOK_WORKDIR: kwokWorkdir },
    all: true,
    reject: false,
    // create waits 120 s at most for the API server (--wait); a kwokctl that hangs must not hold the ports lock.
    timeout: 5 * 60_000,
  });
  if (result.timedOut) throw new Error(`kwokctl ${args.join(" ")} did not finish in 5 min:\n${result.all}`);
  if (result.exitCode !== 0) {
    throw new Error(`kwokctl ${args.join(" ")} failed (exit ${result.exitCode}):\n${result.all}`);
  }
}

/** Creations tried when a component exits while the control plane starts. */
const CREATE_ATTEMPTS = 3;

export async function createCluster(
  binaries: ControlPlaneBinaries,
  kwokWorkdir: string,
  name: string,
  configPath: string,
) {
  await writeFile(configPath, kwokctlConfig(binaries));
  // Ports are the machine's, not one cache's (tests use caches of their own): the lock is in the
  // temporary directory, private to the user. Two users starting clusters at once are not kept apart.
  const lockDir = join(tmpdir(), `amc-${process.getuid?.() ?? "user"}`);
  await mkdir(lockDir, { recursive: true, mode: 0o700 });
  await withLock(
    "local",
    join(lockDir, "kwokctl-ports"),
    "starting a local control plane (kwokctl ports)",
    async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await kwokctl(binaries.kwokctl, kwokWorkdir, createClusterArgs(name, configPath));
          await waitForComponentsListening(clusterDir(kwokWorkdir, name), 60_000);
          return;
        } catch (error) {
          // Stopped while the lock is held, so that none of its components binds a port the next creation picked.
          await deleteCluster(binaries.kwokctl, kwokWorkdir, name, configPath).catch(() => undefined);
          // A component that exits while the control plane starts is started afresh, whichever it is.
          // Seen: kube-controller-manager gives the API server 10 s to report healthy and exits after
          // that ("failed to wait for apiserver being healthy"); on a machine busy with other
          // clusters' start-ups the API server can take longer. A start-up race, not a defect.
          if (!(error instanceof ComponentExitedError) || attempt >= CREATE_ATTEMPTS) throw error;
          say(
            "local",
            `${error.message}\nstarting the control plane again (attempt ${attempt + 1} of ${CREATE_ATTEMPTS})`,
          );
        }
      }
    },
  );
}

export async function deleteCluster(
  kwokctlPath: string,
  kwokWorkdir: string,
  name: string,
  configPath: string,
) {
  await kwokctl(
    kwokctlPath,
    kwokWorkdir,
    deleteClusterArgs(name, configPath, kubeconfigPath(kwokWorkdir, name)),
  );
}
