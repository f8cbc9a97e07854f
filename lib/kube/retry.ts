import { ApiException } from "@kubernetes/client-node";
import { formatDuration, say } from "../progress.ts";
import { ApiUnavailableError, apiErrorMessage, serverName } from "./errors.ts";

/**
 * How long an API call, or a watch, waits out an API server that does not
 * answer (connection refused or reset, timeouts) or keeps failing (429,
 * 5xx) before it gives up with an ApiUnavailableError naming the server and
 * the cause. A control-plane upgrade restarts the API server: that takes
 * seconds, rarely more than half a minute.
 */
export const API_OUTAGE_BUDGET_MS = 60_000;

/** The first wait between tries, doubled after each try up to the last. */
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 2_000;
/** While an outage lasts, one progress line when it starts and one every this often. */
export const OUTAGE_REPORT_EVERY_MS = 15_000;

/** Socket and HTTP-client error codes that a later try may not meet. */
const transientCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  // The answer was cut short (fetch's "terminated"): the server went away while it answered.
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);

function errorCodes(error: unknown, depth = 0): string[] {
  if (depth > 5 || typeof error !== "object" || error === null) return [];
  const code = (error as { code?: unknown }).code;
  const own = typeof code === "string" ? [code] : [];
  const nested = error instanceof AggregateError ? error.errors : [];
  return [
    ...own,
    ...[(error as { cause?: unknown }).cause, ...nested].flatMap((e) => errorCodes(e, depth + 1)),
  ];
}

/**
 * Whether a later try may succeed: the connection failed or broke
 * (ECONNREFUSED, ECONNRESET, timeouts, DNS trouble), or the server answered
 * 429 or 5xx. Never for answers that will not change (400, 401, 403, 404,
 * 409, 422), a failure no retry mends (a TLS error, a port the HTTP client
 * refuses), a caller's abort or deadline, or a call that already gave up.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiUnavailableError) return false;
  if (error instanceof ApiException) return error.code === 429 || error.code >= 500;
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) return false;
  // A watch's refused request: an Error with the HTTP status in statusCode.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number") return status === 429 || status >= 500;
  return errorCodes(error).some((code) => transientCodes.has(code));
}

/**
 * A failure of the request itself (fetch's "fetch failed", which the client
 * may prefix: "Failed to fetch resource metadata for v1/Pod: fetch failed"),
 * not an answer of the server.
 */
function isRequestFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message.endsWith("fetch failed");
}

export interface RetryOptions {
  signal?: AbortSignal | undefined;
  /** The API server's URL, for messages: kube.server (the kubeconfig's current cluster). */
  server?: string | undefined;
  /** How long transient failures are waited out: API_OUTAGE_BUDGET_MS unless a test says otherwise. */
  budgetMs?: number | undefined;
}

/** The delay before try `attempt + 1` (0-based), with jitter: 200 ms doubling to 2 s. */
export function retryDelay(attempt: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt) * (0.75 + Math.random() / 2);
}

/**
 * Calls `call` until it succeeds, a failure is not transient, or transient
 * failures have lasted `budgetMs`: then it throws an ApiUnavailableError that
 * names the server and the innermost cause. Progress lines are few (see
 * noteFailure): one when the server starts failing, one every 15 s.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { signal, server } = options;
  const budgetMs = options.budgetMs ?? API_OUTAGE_BUDGET_MS;
  let failingSince: number | undefined;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      const result = await call();
      noteAnswer(server);
      return result;
    } catch (error) {
      signal?.throwIfAborted();
      if (!isTransient(error)) {
        throw isRequestFailure(error) ? ApiUnavailableError.unreachable(server, error) : error;
      }
      const now = Date.now();
      failingSince ??= now;
      const waited = now - failingSince;
      if (waited >= budgetMs) throw ApiUnavailableError.after(server, budgetMs, error);
      noteFailure(server, what, error, budgetMs);
      await sleep(Math.min(retryDelay(attempt), budgetMs - waited), signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Outages in progress, by server: when each began and when it was last told. */
const outages = new Map<string, { since: number; toldAt: number }>();

/**
 * A call or a watch met a transient failure of `server`. Every call in flight
 * meets the same outage: it is told once when it begins and then every 15 s,
 * whichever calls notice it, not once per call and try.
 */
export function noteFailure(
  server: string | undefined,
  what: string,
  error: unknown,
  budgetMs: number,
): void {
  const key = server ?? "";
  const now = Date.now();
  const outage = outages.get(key);
  if (!outage) {
    outages.set(key, { since: now, toldAt: now });
    say(
      "kube",
      `${serverName(server)} fails (${what}: ${apiErrorMessage(error)}); retrying for up to ${formatDuration(budgetMs)}`,
    );
  } else if (now - outage.toldAt >= OUTAGE_REPORT_EVERY_MS) {
    outage.toldAt = now;
    say(
      "kube",
      `${serverName(server)} has been failing for ${formatDuration(now - outage.since)} (${apiErrorMessage(error)}); still retrying`,
    );
  }
}

/** A call or a watch of `server` succeeded after failures: an outage told about is over. */
export function noteAnswer(server: string | undefined): void {
  const key = server ?? "";
  const outage = outages.get(key);
  if (!outage) return;
  outages.delete(key);
  say("kube", `${serverName(server)} answers again after ${formatDuration(Date.now() - outage.since)}`);
}
