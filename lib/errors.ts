/**
 * The errors amc tells the user about, each with a stable `code`, and the one
 * mapping from any error to the exit code amc documents. A code survives two
 * copies of a module (vitest loads its own), where `instanceof` and
 * constructor names do not; it also survives a trip through a file, as the
 * suites' set-up sends its failure to `amc run`.
 */

/** amc's exit codes (README.md, docs/cli.md and `amc --help` list them): what a CI job branches on. */
export const exitCodes = {
  /** Everything conforms or is not applicable; every claim checked held. */
  ok: 0,
  /** A deviation or a finding (amc run), a broken claim or a deviation (amc certify). */
  nonConforming: 1,
  /** A flag, a name or a profile that cannot be used. */
  usage: 2,
  /** The cluster or the machine: unreachable, permissions, timeouts (inconclusive results). */
  infrastructure: 3,
  /** Ctrl-C (SIGINT) or SIGTERM: the guardian removes what the run created and writes the partial reports. */
  interrupted: 130,
} as const;

/** Every code, and the exit code it means. Codes are part of amc's interface: never rename one. */
export const errorCodes = {
  /** A flag, a variable, a name the user gave that cannot be used. */
  AMC_USAGE: exitCodes.usage,
  /** A vendor profile that cannot be read or does not match its schema. */
  AMC_PROFILE: exitCodes.usage,
  /** A storage class asked for that the cluster does not have. */
  AMC_UNKNOWN_STORAGE_CLASS: exitCodes.usage,
  /** The cluster or the machine cannot run the suite (unreachable, permissions, no node takes pods). */
  AMC_INFRASTRUCTURE: exitCodes.infrastructure,
  /** An upstream binary (Kubernetes, etcd, kwok, a CSI sidecar, Go itself) could not be built or fetched. */
  AMC_PROVISIONING: exitCodes.infrastructure,
  /** A cluster's teardown left processes or objects behind. */
  AMC_TEARDOWN: exitCodes.infrastructure,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** An error amc explains to the user: its message is all they need, no stack. */
export class AmcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Bad input from the user (a flag, a variable, a name): a clear message, exit code 2. */
export class UsageError extends AmcError {
  override name = "UsageError";
  constructor(message: string, code: ErrorCode = "AMC_USAGE", options?: ErrorOptions) {
    super(code, message, options);
  }
}

/**
 * The cluster cannot run the suite as it is (its API server does not answer,
 * the credentials lack permissions, no node takes pods): a clear message,
 * exit code 3. Not the user's typing, and not a verdict about the storage.
 */
export class InfrastructureError extends AmcError {
  override name = "InfrastructureError";
  constructor(message: string, code: ErrorCode = "AMC_INFRASTRUCTURE", options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** The code of an amc error, or of node:util parseArgs' errors (the user's flags); undefined for anything else. */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return undefined;
  if (code in errorCodes) return code as ErrorCode;
  if (code.startsWith("ERR_PARSE_ARGS")) return "AMC_USAGE";
  return undefined;
}

/** The documented exit code for any error: by its code; anything without one is a bug or the machine (3). */
export function exitCodeOf(error: unknown): number {
  const code = errorCodeOf(error);
  return code ? errorCodes[code] : exitCodes.infrastructure;
}

/** What to print for an error: the message alone for amc's own errors, the stack for anything else (a bug). */
export function errorText(error: unknown): string {
  if (errorCodeOf(error)) return (error as Error).message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
