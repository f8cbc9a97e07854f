import { UsageError } from "../../lib/errors.ts";
import { parseDriverArgs } from "./config.ts";
import { log } from "./log.ts";
import { type RunningDriver, serve } from "./server.ts";

/** Entry point of the suite's CSI driver; flags in config.ts. */
try {
  const config = parseDriverArgs(process.argv.slice(2));
  let driver: RunningDriver | undefined;
  let stopping = false;
  const stop = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    (driver?.stop() ?? Promise.resolve()).then(
      () => process.exit(exitCode),
      (error: Error) => {
        log(`stopping failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  // A refused registration ends the process with an error, so that the pod restarts and registers again.
  driver = await serve(config, { onRegistrationRefused: () => stop(1) });
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exit(2);
}
