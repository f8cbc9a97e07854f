import { STATUS_CODES } from "node:http";
import { ApiException } from "@kubernetes/client-node";
import { InfrastructureError } from "../errors.ts";

/**
 * One readable line for anything an API call, a watch or an exec may throw:
 * "HTTP 403: pods "x" is forbidden: ...", an error's message with its causes
 * ("fetch failed: connect ECONNREFUSED 127.0.0.1:6443"), a WebSocket's error
 * event or a Status object by their message, any other object as JSON. Never
 * "[object Object]".
 */
export function apiErrorMessage(error: unknown): string {
  return render(error, new Set());
}

function render(value: unknown, seen: Set<object>): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== "object") return String(value);
  if (seen.has(value)) return "(circular)";
  seen.add(value);
  if (value instanceof ApiException) return `HTTP ${value.code}: ${statusMessage(value.body, value.code)}`;
  if (value instanceof AggregateError && value.errors.length > 0) {
    const parts = [...new Set(value.errors.map((e) => render(e, seen)))].join("; ");
    return value.message ? `${value.message}: ${parts}` : parts;
  }
  if (value instanceof Error) {
    const own = value.message || value.name;
    if (value.cause === undefined) return own;
    // A message that already tells its innermost cause (ApiUnavailableError's) is not repeated.
    if (own.includes(describeCause(value.cause))) return own;
    const cause = render(value.cause, seen);
    return cause.includes(own) ? cause : `${own}: ${cause}`;
  }
  // Not an Error: a WebSocket ErrorEvent (message and error are getters), a V1Status, a plain object.
  const record = value as Record<string, unknown>;
  const message = typeof record.message === "string" && record.message ? record.message : undefined;
  const inner = record.error ?? record.cause;
  if (message) {
    const innerText = inner instanceof Error ? render(inner, seen) : "";
    return innerText && !message.includes(innerText) ? `${message}: ${innerText}` : message;
  }
  if (inner !== undefined && inner !== null) return render(inner, seen);
  if (typeof record.reason === "string" && record.reason) return record.reason;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // circular or a BigInt: named below
  }
  if (json && json !== "{}") return json.length > 500 ? `${json.slice(0, 500)}...` : json;
  const name = (value as { constructor?: { name?: string } }).constructor?.name || "object";
  const keys = Object.keys(value);
  return keys.length > 0 ? `${name} with ${keys.join(", ")}` : `${name} (no message)`;
}

/** What an error answer says: a Status's message (or reason), a text body, else the status code's name. */
function statusMessage(body: unknown, code: number): string {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  if (typeof parsed === "object" && parsed !== null) {
    const status = parsed as { message?: unknown; reason?: unknown };
    if (typeof status.message === "string" && status.message) return status.message;
    if (typeof status.reason === "string" && status.reason) return status.reason;
    const json = JSON.stringify(parsed);
    if (json !== "{}") return json.length > 500 ? `${json.slice(0, 500)}...` : json;
  } else if (typeof parsed === "string" && parsed.trim()) {
    const text = parsed.trim();
    return text.length > 500 ? `${text.slice(0, 500)}...` : text;
  }
  return STATUS_CODES[code] ?? "no message";
}

/**
 * The innermost useful reason of a failed request: fetch reports "fetch
 * failed" and keeps the socket's error (ECONNREFUSED, ENOTFOUND, a TLS
 * failure) in `cause`, several of them for a name with more than one address.
 * `timeoutMs`: the deadline the request had, to name it when it ran out.
 */
export function describeCause(error: unknown, timeoutMs?: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return timeoutMs === undefined ? error.message : `no answer within ${timeoutMs / 1000} s`;
  }
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map((e) => describeCause(e, timeoutMs)))].join("; ");
  }
  if (error instanceof Error && error.cause !== undefined) return describeCause(error.cause, timeoutMs);
  if (error instanceof ApiException) return apiErrorMessage(error);
  return error instanceof Error ? error.message : apiErrorMessage(error);
}

/**
 * The API server did not answer, or kept failing, for longer than a call or a
 * watch waits it out (lib/kube/retry.ts): the message names the server and the
 * innermost cause, e.g. "the API server at https://127.0.0.1:32766 did not
 * answer for 60 s: connect ECONNREFUSED 127.0.0.1:32766".
 */
export class ApiUnavailableError extends InfrastructureError {
  override name = "ApiUnavailableError";
  readonly server: string | undefined;
  constructor(message: string, server: string | undefined, cause: unknown) {
    super(message, "AMC_INFRASTRUCTURE", { cause });
    this.server = server;
  }

  /** After `waitedMs` of transient failures (connection refused or reset, 429, 5xx). */
  static after(server: string | undefined, waitedMs: number, cause: unknown): ApiUnavailableError {
    const seconds = Math.round(waitedMs / 1000);
    const failing =
      cause instanceof ApiException
        ? `kept failing for ${seconds} s: ${apiErrorMessage(cause)}`
        : `did not answer for ${seconds} s: ${describeCause(cause)}`;
    return new ApiUnavailableError(`${serverName(server)} ${failing}`, server, cause);
  }

  /** A failure no retry mends (a TLS error, a port the HTTP client refuses). */
  static unreachable(server: string | undefined, cause: unknown): ApiUnavailableError {
    return new ApiUnavailableError(
      `${serverName(server)} cannot be reached: ${describeCause(cause)}`,
      server,
      cause,
    );
  }
}

export function serverName(server: string | undefined): string {
  return server ? `the API server at ${server}` : "the API server";
}

/** For deletions: an object that is already gone is what was wanted. */
export function ignoreNotFound(error: { code?: number }): void {
  if (error.code !== 404) throw error;
}
