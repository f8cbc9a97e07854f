import { type ConfigurationOptions, Observable, type ObservableMiddleware } from "@kubernetes/client-node";

/**
 * Per-call options that abort an API call with `signal` (AbortSignal.timeout
 * for a deadline): the client's calls have none of their own, and a server
 * that accepts connections but never answers would hang them.
 */
export function withSignal(signal: AbortSignal): ConfigurationOptions {
  const abortable: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [abortable], middlewareMergeStrategy: "append" };
}
