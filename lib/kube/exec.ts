import { PassThrough } from "node:stream";
import { Exec, type V1Status } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";

/** Runs a command in a pod's container through the API (needs a real kubelet). */
export async function execInPod(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string; status: V1Status }> {
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
  const status = await new Promise<V1Status>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`${command.join(" ")} in ${namespace}/${pod} did not finish in ${timeoutMs} ms`)),
      timeoutMs,
    );
    new Exec(kube.config)
      .exec(namespace, pod, container, command, stdout, stderr, null, false, (result: V1Status) => {
        clearTimeout(timer);
        resolve(result);
      })
      .catch((error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
  });
  return { stdout: out, stderr: err, status };
}
