import { parseArgs } from "node:util";
import { supervise } from "./supervisor.ts";

/** Entry point of a local cluster's supervisor (supervisor.ts), started detached by `up`. */
const { values } = parseArgs({
  options: {
    state: { type: "string" },
    "kwok-cluster-dir": { type: "string" },
    report: { type: "string" },
  },
});
const { state, report } = values;
const kwokClusterDir = values["kwok-cluster-dir"];
if (!state || !kwokClusterDir || !report) {
  console.error("usage: supervisor-main.ts --state=FILE --kwok-cluster-dir=DIR --report=FILE");
  process.exit(2);
}
await supervise({ state, kwokClusterDir, report });
