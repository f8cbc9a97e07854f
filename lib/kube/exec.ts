import { PassThrough } from "node:stream";
import { Exec, type V1Status } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";
import { ApiUnavailableError, apiErrorMessage } from "./errors.ts";
import { API_OUTAGE_BUDGET_MS, isTransient, noteAnswer, noteFailure, retryDelay, sleep } from "./retry.ts";

/**
 * Runs a command in a pod's container through the API (needs a real kubelet).
 *
 * A container that is not running at the moment (the kubelet restarts it
 * after a container-runtime failure: "runc create failed", StartError,
 * CrashLoopBackOff) refuses the exec; so does an API server that restarts.
 * Both are tried again: the container until `timeoutMs` has passed, the API
 * server for its outage budget (kube.outageBudgetMs). A command that ran
 * answers with its status, whatever its exit code; one that runs longer than
 * `timeoutMs` fails. Every failure is an Error with a readable message. A
 * command whose connection broke before its status came runs again: commands
 * must be safe to repeat (the suite's write and read a token).
 */
export async function execInPod(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string; status: V1Status }> {
  const what = `${command.join(" ")} in ${namespace}/${pod}`;
  const budgetMs = kube.outageBudgetMs ?? API_OUTAGE_BUDGET_MS;
  const server = kube.server ?? kube.config.getCurrentCluster()?.server;
  const deadline = Date.now() + timeoutMs;
  let apiFailingSince: number | undefined;
  for (let attempt = 0; ; attempt++) {
    let result: ExecResult;
    try {
      result = await execOnce(
        kube,
        namespace,
        pod,
        container,
        command,
        Math.max(1_000, deadline - Date.now()),
      );
    } catch (error) {
      if (error instanceof ExecTimeout) throw new Error(`${what} did not finish in ${timeoutMs} ms`);
      const now = Date.now();
      if (isTransient(error)) {
        // The API server does not answer: waited out like any API call, whatever the command's timeout.
        apiFailingSince ??= now;
        if (now - apiFailingSince >= budgetMs) throw ApiUnavailableError.after(server, budgetMs, error);
        noteFailure(server, `exec ${what}`, error, budgetMs);
        await sleep(retryDelay(attempt + 2));
        continue;
      }
      if (!refusedForNow(error) || now >= deadline) {
        throw new Error(`${what} failed: ${apiErrorMessage(error)}`, { cause: error });
      }
      await sleep(Math.min(retryDelay(attempt + 2), Math.max(0, deadline - now)));
      continue;
    }
    noteAnswer(server);
    apiFailingSince = undefined;
    // The command did not run (the container is not running): not its status, a refusal for now.
    if (result.status.status !== "Success" && result.status.reason !== "NonZeroExitCode") {
      if (Date.now() >= deadline) {
        throw new Error(`${what} failed: ${apiErrorMessage(result.status)}`);
      }
      await sleep(Math.min(retryDelay(attempt + 2), Math.max(0, deadline - Date.now())));
      continue;
    }
    return result;
  }
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status: V1Status;
}

class ExecTimeout extends Error {}

/**
 * Whether the exec was refused in a way that changes when the container
 * runs again: the API server or the kubelet answered the upgrade with 400
 * ("container ... is not valid", "container not found"), 500, 502 or 503, or
 * the connection closed before the command's status came. Not 401, 403, 404.
 */
export function refusedForNow(error: unknown): boolean {
  const message = apiErrorMessage(error);
  const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
  if (status) return ["400", "500", "502", "503", "504"].includes(status);
  return error instanceof ExecClosed;
}

class ExecClosed extends Error {}

function execOnce(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let socket: { close: () => void; on?: (event: string, listener: () => void) => void } | undefined;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(
      () =>
        settle(() => {
          socket?.close();
          reject(new ExecTimeout());
        }),
      timeoutMs,
    );
    new Exec(kube.config)
      .exec(namespace, pod, container, command, stdout, stderr, null, false, (status: V1Status) =>
        settle(() => resolve({ stdout: out, stderr: err, status })),
      )
      .then((ws) => {
        socket = ws as typeof socket;
        if (settled) return socket?.close();
        // The API server went away mid-command: no status will come.
        socket?.on?.("close", () =>
          setImmediate(() =>
            settle(() => reject(new ExecClosed("the connection closed before the command's status"))),
          ),
        );
      })
      // The WebSocket's error event is no Error: keep its message and the socket's error as the cause.
      .catch((error: unknown) => settle(() => reject(asError(error))));
  });
}

function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  const inner = (error as { error?: unknown } | null)?.error;
  return new Error(apiErrorMessage(error), inner === undefined ? {} : { cause: inner });
}
