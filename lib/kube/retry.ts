import { ApiException } from "@kubernetes/client-node";
import pRetry from "p-retry";
import { apiErrorMessage } from "./errors.ts";

/**
 * Retries an API call on transient failures (connection errors, 429, 5xx),
 * never on answers that will not change (400, 401, 403, 404, 409, 422).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiException) return error.code === 429 || error.code >= 500;
  return true;
}

export function withRetry<T>(what: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return pRetry(call, {
    retries: 5,
    minTimeout: 200,
    maxTimeout: 2_000,
    ...(signal ? { signal } : {}),
    shouldRetry: ({ error }) => isTransient(error),
    onFailedAttempt: ({ error, retriesLeft }) => {
      if (retriesLeft > 0 && isTransient(error)) {
        process.stderr.write(
          `[amc kube] ${what}: ${apiErrorMessage(error)}; retrying (${retriesLeft} left)\n`,
        );
      }
    },
  });
}
