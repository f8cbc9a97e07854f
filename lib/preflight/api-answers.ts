import { ApiException, type KubeConfig, VersionApi } from "@kubernetes/client-node";
import { InfrastructureError } from "../errors.ts";
import { withSignal } from "../kube/deadline.ts";
import { describeCause } from "../kube/errors.ts";

/**
 * The first preflight check: the API server answers, within a short
 * deadline, with the credentials given. Everything after it assumes a
 * cluster that talks; without this a wrong address would surface minutes
 * later as a wait timing out.
 */

/** Long enough for a slow cloud endpoint and an exec credential plugin; short enough not to look like a hang. */
export const API_ANSWER_TIMEOUT_MS = 10_000;

/** Where the suite tried to connect, for messages. */
export interface Endpoint {
  server: string;
  context: string;
  /** The kubeconfig file(s) the context came from. */
  source: string;
}

/** The API server's version (gitVersion), or an InfrastructureError that says why there is none. */
export async function checkApiAnswers(
  config: KubeConfig,
  endpoint: Endpoint,
  timeoutMs = API_ANSWER_TIMEOUT_MS,
): Promise<string> {
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const version = await config.makeApiClient(VersionApi).getCode({}, withSignal(deadline));
    return version.gitVersion;
  } catch (error) {
    throw new InfrastructureError(apiProblemMessage(endpoint, error, timeoutMs));
  }
}

export function apiProblemMessage(endpoint: Endpoint, error: unknown, timeoutMs: number): string {
  const where = `context "${endpoint.context}" of ${endpoint.source}`;
  if (error instanceof ApiException && (error.code === 401 || error.code === 403)) {
    return [
      `the API server at ${endpoint.server} refuses the credentials of ${where} (HTTP ${error.code})`,
      "  the token or client certificate is invalid or expired: renew it, or pick other credentials (--kubeconfig, --context)",
    ].join("\n");
  }
  const cause = error instanceof ApiException ? `HTTP ${error.code}` : describeCause(error, timeoutMs);
  if (cause === "bad port") {
    // undici, Node's HTTP client, refuses the ports the fetch standard blocks (1, 22, 25, 6000, ...)
    // before it connects: no server there can ever be reached from here, whether it runs or not.
    const port = new URL(endpoint.server).port;
    return [
      `the API server at ${endpoint.server} cannot be reached from here (${where})`,
      `  cause: Node's HTTP client refuses port ${port}: the fetch standard blocks it, so no server on it can be reached, whether it runs or not`,
      "  serve the API on another port, or point the kubeconfig at one (--kubeconfig, --context)",
    ].join("\n");
  }
  return [
    `the API server at ${endpoint.server} does not answer (${where})`,
    `  cause: ${cause}`,
    "  check that the cluster is running and reachable from this machine, and that the kubeconfig and context are the ones meant (--kubeconfig, --context)",
  ].join("\n");
}
