import { errorText, exitCodeOf } from "../../lib/errors.ts";
import { formatDuration } from "../../lib/progress.ts";
import { type ComponentId, components } from "./components.ts";
import { resolveComponents } from "./resolve.ts";

/**
 * `npm run binaries [component...]`: resolves the local cluster's upstream
 * components (fetching or building what is missing) and prints where each one is.
 */
const requested = process.argv.slice(2);
const unknown = requested.filter((id) => !(id in components));
if (unknown.length > 0) {
  console.error(`unknown component(s): ${unknown.join(", ")}; known: ${Object.keys(components).join(", ")}`);
  process.exit(2);
}
const started = Date.now();
try {
  const resolved = await resolveComponents(requested.length > 0 ? (requested as ComponentId[]) : undefined);
  for (const r of Object.values(resolved)) console.log(`${r.id}\t${r.version}\t${r.source}\t${r.dir}`);
  console.error(`all components ready in ${formatDuration(Date.now() - started)}`);
} catch (error) {
  console.error(errorText(error));
  process.exit(exitCodeOf(error));
}
