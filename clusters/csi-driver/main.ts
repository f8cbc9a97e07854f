import { UsageError } from "../../lib/errors.ts";
import { parseDriverArgs } from "./config.ts";
import { serve } from "./server.ts";

/** Entry point of the suite's CSI driver; flags in config.ts. */
try {
  const server = await serve(parseDriverArgs(process.argv.slice(2)));
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exit(2);
}
