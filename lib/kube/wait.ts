import { type KubernetesObject, Watch } from "@kubernetes/client-node";
import type { Kube } from "./client.ts";
import { ApiUnavailableError } from "./errors.ts";
import { collectionPath, type Resource } from "./resources.ts";
import {
  API_OUTAGE_BUDGET_MS,
  isTransient,
  noteAnswer,
  noteFailure,
  retryDelay,
  withRetry,
} from "./retry.ts";

/**
 * The suite's one waiter. For each source (a resource, optionally narrowed to
 * a namespace and selectors) it lists, then watches from the list's
 * resourceVersion, so that what existed before the wait is seen: the
 * Multi-Attach event is emitted only once. It keeps the current state of every
 * matching object and asks `decide` after each change, once every source has
 * been listed. A watch that ends resumes from the last resourceVersion it saw;
 * one that is told its version is too old (410 Gone) lists and watches the
 * source afresh, so nothing that happened in between is missed. An API server
 * that restarts is waited out (kube.outageBudgetMs, lib/kube/retry.ts), then
 * the wait fails naming it. A new condition is a new `decide` function, never
 * a new waiter. A view (openView) keeps its sources watched across several
 * waits; watchUntil is one wait on a view of its own.
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

/** Where a source's watch resumes, and how its recent watches went. */
interface Cursor {
  /** The last resourceVersion seen: the list's, then every event's and bookmark's. */
  version: string | undefined;
  /** Watches in a row that ended within 5 s of starting. */
  quickEnds: number;
  /** Watches in a row that could not start, and since when (an API server outage). */
  failures: number;
  failingSince?: number | undefined;
}

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** The view's own options: what every wait on it shares. */
export interface ViewOptions<K extends string> {
  /** Ends the view: every wait on it rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Sees every object as it arrives, with the time the suite received it. */
  observe?: WaitOptions<K>["observe"];
}

/** What one wait on a view is: its description (for timeout messages) and its limit. */
export type UntilOptions = Pick<WaitOptions<string>, "description" | "timeoutMs">;

/**
 * A live view of its sources: listed once, then watched until closed. Any
 * number of waits may be put to it, one after the other or at once; each is
 * decided on the same state, which the view keeps current between them, so a
 * scenario lists its sources once, not once per wait, and an event that
 * arrives between two waits is seen when it arrives.
 */
export interface View<K extends string> {
  /** Resolves with `decide`'s first answer: asked now (once every source is listed), then after every change. */
  until<R>(wait: UntilOptions, decide: (snapshot: Snapshot<K>) => R | undefined): Promise<R>;
  /** Stops the watches; a wait still pending rejects. */
  close(): void;
}

/** A wait put to a view. */
interface Pending {
  check(): void;
  fail(error: unknown): void;
}

export function openView<K extends string>(
  kube: Kube,
  sources: Record<K, Source>,
  options: ViewOptions<K> = {},
): View<K> {
  const names = Object.keys(sources) as K[];
  const state = Object.fromEntries(
    names.map((name) => [name, new Map<string, KubernetesObject>()]),
  ) as Record<K, Map<string, KubernetesObject>>;
  const watcher = new Watch(kube.config);
  const server = kube.server ?? kube.config.getCurrentCluster()?.server;
  const budgetMs = kube.outageBudgetMs ?? API_OUTAGE_BUDGET_MS;

  const pending = new Set<Pending>();
  const controllers = new Set<AbortController>();
  /** Aborted when the view is closed or failed: every list and watch then stops, and touches nothing. */
  const internal = new AbortController();
  let listedAll = false;
  let failed: { error: unknown } | undefined;
  let closed = false;

  const stop = () => {
    internal.abort();
    options.signal?.removeEventListener("abort", onAbort);
    for (const controller of controllers) controller.abort();
  };
  const fail = (error: unknown) => {
    if (internal.signal.aborted) return;
    failed = { error };
    stop();
    for (const wait of [...pending]) wait.fail(error);
  };
  const check = () => {
    if (!listedAll || internal.signal.aborted) return;
    for (const wait of [...pending]) wait.check();
  };

  /** Lists a source into the state; undefined when the view stopped meanwhile (nothing is touched then). */
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
      { signal: internal.signal, server, budgetMs },
    );
    if (internal.signal.aborted) return undefined;
    const receivedAt = new Date();
    state[name].clear();
    for (const item of result.items) {
      state[name].set(objectKey(item), item);
      options.observe?.(name, "LISTED", item, receivedAt);
    }
    return { version: result.metadata?.resourceVersion };
  };

  /** Runs `next` after `delayMs`, unless the view stops first. */
  const later = (delayMs: number, next: () => void) => {
    const again = setTimeout(next, delayMs);
    internal.signal.addEventListener("abort", () => clearTimeout(again), { once: true });
  };

  /** Lists the source again and watches from the list's version (after a 410, or an error event). */
  const relist = (name: K, cursor: Cursor, delayMs = 0) =>
    later(delayMs, () => {
      list(name)
        .then((listed) => {
          if (!listed) return;
          check();
          cursor.version = listed.version;
          return watch(name, cursor);
        })
        .catch(fail);
    });

  /**
   * Watches a source from the cursor's resourceVersion, which every event
   * and bookmark advances. When the watch ends it resumes from there: at
   * once after a long watch, after a growing pause after quick ones (the
   * API server refusing or throttling it). A 410 (the version is too old)
   * or an error event lists the source again. A watch that cannot even
   * start (the API server does not answer) is tried again with backoff
   * until the outage has lasted `budgetMs`; then the view fails with an
   * ApiUnavailableError naming the server.
   */
  const watch = async (name: K, cursor: Cursor): Promise<void> => {
    if (internal.signal.aborted) return;
    const source = sources[name];
    const started = Date.now();
    let controller: AbortController | undefined;
    let relistNeeded = false;
    let starting = true;
    let endedWhileStarting: { error: unknown } | undefined;
    const ended = (error: unknown, connected: boolean) => {
      if (controller) controllers.delete(controller);
      if (internal.signal.aborted) return;
      const status = (error as { statusCode?: unknown } | null | undefined)?.statusCode;
      if (relistNeeded || status === 410) {
        cursor.quickEnds = 0;
        return relist(name, cursor);
      }
      if (!connected && error && isTransient(error)) {
        const now = Date.now();
        cursor.failingSince ??= now;
        if (now - cursor.failingSince >= budgetMs) {
          return fail(ApiUnavailableError.after(server, budgetMs, error));
        }
        noteFailure(server, `watch ${source.resource.plural}`, error, budgetMs);
        return later(retryDelay(cursor.failures++), () => void watch(name, cursor));
      }
      const quick = Date.now() - started < 5_000 ? cursor.quickEnds + 1 : 0;
      cursor.quickEnds = quick;
      const delay = quick === 0 ? 0 : Math.min(5_000, 100 * 2 ** quick) * (0.5 + Math.random() / 2);
      // Refused for another reason (403, 404, a watch the server will not serve): the list says whether it stays so.
      if (!connected && error) return relist(name, cursor, delay);
      later(delay, () => void watch(name, cursor));
    };
    try {
      controller = await watcher.watch(
        collectionPath(source.resource, source.namespace),
        {
          ...(cursor.version ? { resourceVersion: cursor.version } : {}),
          allowWatchBookmarks: true,
          ...(source.labelSelector ? { labelSelector: source.labelSelector } : {}),
          ...(source.fieldSelector ? { fieldSelector: source.fieldSelector } : {}),
        },
        (type: string, object: KubernetesObject) => {
          if (internal.signal.aborted) return;
          if (type === "ERROR") {
            // 410 Gone (the version is too old) and other errors end this watch; the source is listed again.
            relistNeeded = true;
            return controller?.abort();
          }
          const version = object.metadata?.resourceVersion;
          if (version) cursor.version = version;
          if (type === "BOOKMARK") return; // advances the version; no object change
          if (type === "DELETED") state[name].delete(objectKey(object));
          else state[name].set(objectKey(object), object);
          options.observe?.(name, type as Observation, object, new Date());
          check();
        },
        // Called once when the watch ends, with or without an error: while it is starting, when it could not start.
        (error: unknown) => {
          if (starting) endedWhileStarting = { error };
          else ended(error, true);
        },
      );
    } catch (error) {
      endedWhileStarting = { error };
    }
    starting = false;
    if (endedWhileStarting) return ended(endedWhileStarting.error, false);
    // The API server answered: any outage this source was in is over.
    cursor.failingSince = undefined;
    cursor.failures = 0;
    noteAnswer(server);
    if (controller) controllers.add(controller);
    if (internal.signal.aborted) controller?.abort();
  };

  const onAbort = () => fail(options.signal?.reason ?? new Error("aborted"));
  if (options.signal?.aborted) onAbort();
  else {
    options.signal?.addEventListener("abort", onAbort);
    // Every source is listed before the first decision, so none is judged on a partial view.
    Promise.all(names.map(async (name) => [name, await list(name)] as const))
      .then((listings) => {
        listedAll = true;
        check();
        for (const [name, listed] of listings) {
          if (listed) void watch(name, { version: listed.version, quickEnds: 0, failures: 0 });
        }
      })
      .catch(fail);
  }

  const until = <R>(wait: UntilOptions, decide: (snapshot: Snapshot<K>) => R | undefined) =>
    new Promise<R>((resolve, reject) => {
      if (closed) return reject(new Error(`waiting for ${wait.description} on a view that was closed`));
      if (failed) return reject(failed.error);
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (end: () => void) => {
        if (settled) return;
        settled = true;
        pending.delete(entry);
        clearTimeout(timer);
        end();
      };
      const entry: Pending = {
        check: () => {
          try {
            const decision = decide(state);
            if (decision !== undefined) settle(() => resolve(decision));
          } catch (error) {
            settle(() => reject(error));
          }
        },
        fail: (error) => settle(() => reject(error)),
      };
      timer = setTimeout(() => {
        const lastSeen = names.flatMap((name) => [...state[name].values()]);
        settle(() => reject(new WaitTimeoutError(wait.description, wait.timeoutMs, lastSeen)));
      }, wait.timeoutMs);
      pending.add(entry);
      if (listedAll) entry.check();
    });

  const close = () => {
    if (closed) return;
    closed = true;
    const error = new Error("the view was closed");
    if (!internal.signal.aborted) stop();
    for (const wait of [...pending]) wait.fail(error);
  };

  return { until, close };
}

/** One wait on a view of its own: the view is closed when the wait ends. */
export async function watchUntil<K extends string, R>(
  kube: Kube,
  sources: Record<K, Source>,
  options: WaitOptions<K>,
  decide: (snapshot: Snapshot<K>) => R | undefined,
): Promise<R> {
  const { description, timeoutMs, signal, observe } = options;
  const view = openView(kube, sources, { signal, ...(observe ? { observe } : {}) });
  try {
    return await view.until({ description, timeoutMs }, decide);
  } finally {
    view.close();
  }
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
