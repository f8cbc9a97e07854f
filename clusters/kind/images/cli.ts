import { errorText, exitCodeOf } from "../../../lib/errors.ts";
import { formatDuration } from "../../../lib/progress.ts";
import { buildKindImages } from "./build.ts";

/**
 * `npm run kind:images`: the air-gapped path. Builds (or finds, by content)
 * every image a kind run needs, with no registry, and prints their names.
 */
const started = Date.now();
try {
  const images = await buildKindImages();
  for (const [role, image] of Object.entries(images)) console.log(`${role}\t${image}`);
  console.error(`kind images ready in ${formatDuration(Date.now() - started)}`);
} catch (error) {
  console.error(errorText(error));
  process.exit(exitCodeOf(error));
}
