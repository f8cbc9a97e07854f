/** Bad input from the user (a flag, a variable, a name): a clear message, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The cluster cannot run the suite as it is (its API server does not answer,
 * the credentials lack permissions, no node takes pods): a clear message,
 * exit code 3. Not the user's typing, and not a verdict about the storage.
 */
export class InfrastructureError extends Error {
  override name = "InfrastructureError";
}
