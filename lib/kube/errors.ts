import { ApiException } from "@kubernetes/client-node";

/** One readable line for an API error: "HTTP 403: pods "x" is forbidden: ...", or the error's own message. */
export function apiErrorMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return error instanceof Error ? error.message : String(error);
  let body: unknown = error.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  const message =
    typeof body === "object" && body && "message" in body ? String(body.message) : String(body ?? "");
  return `HTTP ${error.code}: ${message}`;
}

/** For deletions: an object that is already gone is what was wanted. */
export function ignoreNotFound(error: { code?: number }): void {
  if (error.code !== 404) throw error;
}
