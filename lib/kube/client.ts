import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type RequestContext,
  SchedulingV1Api,
  StorageV1Api,
} from "@kubernetes/client-node";
import { API_OUTAGE_BUDGET_MS, isTransient, withRetry } from "./retry.ts";

/**
 * The API clients the suite uses, built from one kubeconfig. Every call
 * through them rides out an API server that restarts (lib/kube/retry.ts):
 * transient failures are retried for `outageBudgetMs`, then the call fails
 * with an ApiUnavailableError that names `server`.
 */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  storage: StorageV1Api;
  scheduling: SchedulingV1Api;
  objects: KubernetesObjectApi;
  /** The API server's URL (the kubeconfig's current cluster), for messages. */
  server?: string;
  /** How long a call or a watch waits out an API server that does not answer: API_OUTAGE_BUDGET_MS by default. */
  outageBudgetMs?: number;
}

export interface ConnectOptions {
  /** How long transient failures are waited out (tests shorten it); API_OUTAGE_BUDGET_MS by default. */
  outageBudgetMs?: number;
}

/**
 * A KubeConfig whose API clients share one pool of connections per cluster
 * and user. @kubernetes/client-node 2.0 gives every request a dispatcher of
 * its own (applySecurityAuthentication), so every call opened a new TLS
 * connection: a handshake here and an RSA signature in the API server for
 * each request, a quarter of a local API server's CPU during the scenario
 * matrix. The first request's dispatcher is kept and given to the later ones,
 * which then reuse its idle connections.
 */
export class PooledKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, NonNullable<ReturnType<RequestContext["getDispatcher"]>>>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = JSON.stringify([this.getCurrentCluster()?.name, this.getCurrentUser()?.name]);
    const kept = this.#dispatchers.get(key);
    if (kept) context.setDispatcher(kept);
    else this.#dispatchers.set(key, fresh);
  }
}

export function connect(kubeconfigPath: string, context?: string, options: ConnectOptions = {}): Kube {
  const config = new PooledKubeConfig();
  config.loadFromFile(kubeconfigPath);
  if (context) config.setCurrentContext(context);
  const server = config.getCurrentCluster()?.server;
  const budgetMs = options.outageBudgetMs ?? API_OUTAGE_BUDGET_MS;
  const retried = <T extends object>(api: T) => retrying(api, { server, budgetMs });
  return {
    config,
    core: retried(config.makeApiClient(CoreV1Api)),
    storage: retried(config.makeApiClient(StorageV1Api)),
    scheduling: retried(config.makeApiClient(SchedulingV1Api)),
    objects: retried(KubernetesObjectApi.makeApiClient(config)),
    ...(server ? { server } : {}),
    outageBudgetMs: budgetMs,
  };
}

/**
 * The API client with every call that returns a promise retried through
 * withRetry. A create whose answer was lost (the connection broke after the
 * server got it) finds its object there on the next try: that 409 means the
 * create succeeded, and the call answers with the object as it was sent.
 */
export function retrying<T extends object>(
  api: T,
  options: { server?: string | undefined; budgetMs: number },
): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const first = method.apply(target, args);
        if (!isPromise(first)) return first;
        let tries = 0;
        let lostAnswer = false;
        return withRetry(
          property,
          async () => {
            try {
              return await (tries++ === 0 ? first : (method.apply(target, args) as Promise<unknown>));
            } catch (error) {
              if (isTransient(error)) lostAnswer = true;
              else if (lostAnswer && property.startsWith("create") && isConflict(error))
                return sentObject(args);
              throw error;
            }
          },
          options,
        );
      };
    },
  });
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

/** The object a create sent: the typed clients take { body }, KubernetesObjectApi the object itself. */
function sentObject(args: unknown[]): unknown {
  const [first] = args;
  return (first as { body?: unknown } | undefined)?.body ?? first;
}
