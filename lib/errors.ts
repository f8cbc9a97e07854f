/** Bad input from the user (a flag, a variable, a name): a clear message, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
