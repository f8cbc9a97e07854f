import { InfrastructureError } from "../../../lib/errors.ts";
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
  // Exit codes as amc documents them: the machine cannot build the images.
  console.error(error instanceof InfrastructureError ? error.message : error);
  process.exit(3);
}
