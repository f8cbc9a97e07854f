import { type KubernetesObject, Watch } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";
import { collectionPath, type Resource } from "./resources.ts";
import { withRetry } from "./retry.ts";

/**
 * The suite's one waiter. It lists, then watches from the list's
 * resourceVersion (so that an object or event that existed before the wait is
 * seen: the Multi-Attach event is emitted only once), keeps the current state
 * of every matching object, and asks `decide` after each change. A watch that
 * ends or fails (410 Gone included) is replaced by a fresh list and watch, so
 * nothing that happened in between is missed.
 * A new condition is a new `decide` function, never a new waiter.
 */

export type Observation = "LISTED" | "ADDED" | "MODIFIED" | "DELETED";

export interface WaitOptions<T> {
  /** What is awaited, for progress lines and timeout messages. */
  description: string;
  timeoutMs: number;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
  /** Sees every object as it arrives, with the time the suite received it. */
  observe?: (type: Observation, object: T, receivedAt: Date) => void;
}

export class WaitTimeoutError extends Error {
  readonly description: string;
  readonly timeoutMs: number;
  readonly lastSeen: readonly KubernetesObject[];
  constructor(description: string, timeoutMs: number, lastSeen: readonly KubernetesObject[]) {
    super(`timed out after ${timeoutMs} ms waiting for ${description}`);
    this.name = "WaitTimeoutError";
    this.description = description;
    this.timeoutMs = timeoutMs;
    this.lastSeen = lastSeen;
  }
}

function keyOf(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

export function waitFor<T extends KubernetesObject, R>(
  kube: Kube,
  resource: Resource,
  options: WaitOptions<T>,
  decide: (objects: ReadonlyMap<string, T>) => R | undefined,
): Promise<R> {
  const state = new Map<string, T>();
  const watcher = new Watch(kube.config);
  const selectors = {
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };

  return new Promise<R>((resolve, reject) => {
    let finished = false;
    let watchController: AbortController | undefined;
    const internal = new AbortController();

    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      internal.abort();
      watchController?.abort();
      settle();
    };
    const check = () => {
      try {
        const decision = decide(state);
        if (decision !== undefined) finish(() => resolve(decision));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    const record = (type: Observation, object: T) => options.observe?.(type, object, new Date());

    const listThenWatch = async (): Promise<void> => {
      const list = await withRetry(
        `list ${resource.plural}`,
        () =>
          kube.objects.list<T>(
            resource.apiVersion,
            resource.kind,
            options.namespace,
            undefined,
            undefined,
            undefined,
            options.fieldSelector,
            options.labelSelector,
          ),
        internal.signal,
      );
      if (finished) return;
      state.clear();
      for (const item of list.items) {
        state.set(keyOf(item), item);
        record("LISTED", item);
      }
      check();
      if (finished) return;
      const resourceVersion = list.metadata?.resourceVersion;
      const restart = () => {
        if (!finished) listThenWatch().catch((error) => finish(() => reject(error)));
      };
      try {
        watchController = await watcher.watch(
          collectionPath(resource, options.namespace),
          { ...selectors, resourceVersion, allowWatchBookmarks: true },
          (type: string, object: T & { code?: number }) => {
            if (finished) return;
            if (type === "ERROR") {
              // 410 Gone (resourceVersion too old) and other watch errors: start over.
              watchController?.abort();
              return;
            }
            if (type === "BOOKMARK") return; // keeps the connection's version fresh; no object change
            if (type === "DELETED") state.delete(keyOf(object));
            else state.set(keyOf(object), object);
            record(type as Observation, object);
            check();
          },
          // Called once when the watch ends, with or without an error.
          () => restart(),
        );
      } catch {
        restart(); // the watch could not start; the next list says whether the API is there
      }
    };

    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new WaitTimeoutError(options.description, options.timeoutMs, [...state.values()])),
        ),
      options.timeoutMs,
    );
    const onAbort = () => finish(() => reject(options.signal?.reason ?? new Error("aborted")));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort);
    listThenWatch().catch((error) => finish(() => reject(error)));
  });
}
