import { errorText, exitCodeOf } from "../../lib/errors.ts";
import { formatDuration } from "../../lib/progress.ts";
import { type ComponentId, components } from "./components.ts";
import { resolveComponents } from "./resolve.ts";

/**
 * `npm run binaries [component...]`: resolves the local cluster's upstream
 * components (fetching or building what is missing) and prints where each one is.
 * Without names, every component but the benchmark's (upstream's e2e.test and
 * ginkgo, four minutes of build that only bench/vs-upstream.ts needs).
 */
const benchmarkOnly: readonly ComponentId[] = ["kubernetes-e2e", "ginkgo"];
const requested = process.argv.slice(2);
const unknown = requested.filter((id) => !(id in components));
if (unknown.length > 0) {
  console.error(`unknown component(s): ${unknown.join(", ")}; known: ${Object.keys(components).join(", ")}`);
  process.exit(2);
}
const started = Date.now();
try {
  const everyday = (Object.keys(components) as ComponentId[]).filter((id) => !benchmarkOnly.includes(id));
  const resolved = await resolveComponents(requested.length > 0 ? (requested as ComponentId[]) : everyday);
  for (const r of Object.values(resolved)) console.log(`${r.id}\t${r.version}\t${r.source}\t${r.dir}`);
  console.error(`all components ready in ${formatDuration(Date.now() - started)}`);
} catch (error) {
  console.error(errorText(error));
  process.exit(exitCodeOf(error));
}
