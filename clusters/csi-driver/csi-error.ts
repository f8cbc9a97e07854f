/**
 * An error a CSI RPC answers with: the gRPC code the CSI spec prescribes for
 * the case, and a message for the CO's events. Anything else a handler throws
 * is answered INTERNAL.
 */

export type CsiCode = "INVALID_ARGUMENT" | "NOT_FOUND" | "ALREADY_EXISTS" | "FAILED_PRECONDITION";

export class CsiError extends Error {
  readonly code: CsiCode;
  constructor(code: CsiCode, message: string) {
    super(message);
    this.name = "CsiError";
    this.code = code;
  }
}
