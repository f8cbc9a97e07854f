import { type KubernetesObject, Watch } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";
import { collectionPath, type Resource } from "./resources.ts";
import { withRetry } from "./retry.ts";

/**
 * The suite's one waiter. For each source (a resource, optionally narrowed to
 * a namespace and selectors) it lists, then watches from the list's
 * resourceVersion, so that what existed before the wait is seen: the
 * Multi-Attach event is emitted only once. It keeps the current state of every
 * matching object and asks `decide` after each change, once every source has
 * been listed. A watch that ends or fails (410 Gone included) is replaced by a
 * fresh list and watch of that source, so nothing that happened in between is
 * missed. A new condition is a new `decide` function, never a new waiter.
 */

export type Observation = "LISTED" | "ADDED" | "MODIFIED" | "DELETED";

export interface Source {
  resource: Resource;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type Snapshot<K extends string> = { readonly [key in K]: ReadonlyMap<string, KubernetesObject> };

export interface WaitOptions<K extends string> {
  /** What is awaited, for timeout messages. */
  description: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sees every object as it arrives, with the time the suite received it. */
  observe?: (source: K, type: Observation, object: KubernetesObject, receivedAt: Date) => void;
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

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

export function watchUntil<K extends string, R>(
  kube: Kube,
  sources: Record<K, Source>,
  options: WaitOptions<K>,
  decide: (snapshot: Snapshot<K>) => R | undefined,
): Promise<R> {
  const names = Object.keys(sources) as K[];
  const state = Object.fromEntries(
    names.map((name) => [name, new Map<string, KubernetesObject>()]),
  ) as Record<K, Map<string, KubernetesObject>>;
  const watcher = new Watch(kube.config);

  return new Promise<R>((resolve, reject) => {
    let finished = false;
    let listedAll = false;
    const controllers = new Set<AbortController>();
    const internal = new AbortController();

    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      internal.abort();
      for (const controller of controllers) controller.abort();
      settle();
    };
    const check = () => {
      if (!listedAll || finished) return;
      try {
        const decision = decide(state);
        if (decision !== undefined) finish(() => resolve(decision));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    const fail = (error: unknown) => finish(() => reject(error));

    /** Lists a source into the state; undefined when the wait settled meanwhile (nothing is touched then). */
    const list = async (name: K): Promise<{ version: string | undefined } | undefined> => {
      const source = sources[name];
      const result = await withRetry(
        `list ${source.resource.plural}`,
        () =>
          kube.objects.list(
            source.resource.apiVersion,
            source.resource.kind,
            source.namespace,
            undefined,
            undefined,
            undefined,
            source.fieldSelector,
            source.labelSelector,
          ),
        internal.signal,
      );
      if (finished) return undefined;
      const receivedAt = new Date();
      state[name].clear();
      for (const item of result.items) {
        state[name].set(objectKey(item), item);
        options.observe?.(name, "LISTED", item, receivedAt);
      }
      return { version: result.metadata?.resourceVersion };
    };

    /**
     * Watches a source from `resourceVersion`. When the watch ends, the source
     * is listed and watched again; a watch that ended quickly (the API server
     * refusing or throttling it) waits first, longer each time in a row.
     */
    const watch = async (name: K, resourceVersion: string | undefined, quickEnds = 0): Promise<void> => {
      if (finished) return;
      const source = sources[name];
      const started = Date.now();
      let controller: AbortController | undefined;
      const relist = () => {
        if (controller) controllers.delete(controller);
        if (finished) return;
        const quick = Date.now() - started < 5_000 ? quickEnds + 1 : 0;
        const delay = quick === 0 ? 0 : Math.min(5_000, 100 * 2 ** quick) * (0.5 + Math.random() / 2);
        const again = setTimeout(() => {
          list(name)
            .then((listed) => {
              if (!listed) return;
              check();
              return watch(name, listed.version, quick);
            })
            .catch(fail);
        }, delay);
        internal.signal.addEventListener("abort", () => clearTimeout(again), { once: true });
      };
      try {
        controller = await watcher.watch(
          collectionPath(source.resource, source.namespace),
          {
            resourceVersion,
            allowWatchBookmarks: true,
            ...(source.labelSelector ? { labelSelector: source.labelSelector } : {}),
            ...(source.fieldSelector ? { fieldSelector: source.fieldSelector } : {}),
          },
          (type: string, object: KubernetesObject) => {
            if (finished) return;
            // 410 Gone (resourceVersion too old) and other watch errors end this watch; `done` relists.
            if (type === "ERROR") return controller?.abort();
            if (type === "BOOKMARK") return; // keeps the connection's version fresh; no object change
            if (type === "DELETED") state[name].delete(objectKey(object));
            else state[name].set(objectKey(object), object);
            options.observe?.(name, type as Observation, object, new Date());
            check();
          },
          // Called once when the watch ends, with or without an error.
          () => relist(),
        );
        controllers.add(controller);
        if (finished) controller.abort();
      } catch {
        relist(); // the watch could not start; the next list says whether the API is there
      }
    };

    const timer = setTimeout(() => {
      const lastSeen = names.flatMap((name) => [...state[name].values()]);
      fail(new WaitTimeoutError(options.description, options.timeoutMs, lastSeen));
    }, options.timeoutMs);
    const onAbort = () => fail(options.signal?.reason ?? new Error("aborted"));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort);

    // Every source is listed before the first decision, so none is judged on a partial view.
    Promise.all(names.map(async (name) => [name, await list(name)] as const))
      .then((listings) => {
        listedAll = true;
        check();
        for (const [name, listed] of listings) if (listed) void watch(name, listed.version);
      })
      .catch(fail);
  });
}

/** One source, one map: the common case. */
export function waitFor<T extends KubernetesObject, R>(
  kube: Kube,
  resource: Resource,
  options: WaitOptions<"objects"> & Omit<Source, "resource">,
  decide: (objects: ReadonlyMap<string, T>) => R | undefined,
): Promise<R> {
  const { namespace, labelSelector, fieldSelector, ...waitOptions } = options;
  const source: Source = {
    resource,
    ...(namespace ? { namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
  };
  return watchUntil(kube, { objects: source }, waitOptions, (snapshot) =>
    decide(snapshot.objects as ReadonlyMap<string, T>),
  );
}
