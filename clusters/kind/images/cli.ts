import { errorText, exitCodeOf } from "../../../lib/errors.ts";
import { formatDuration } from "../../../lib/progress.ts";
import { buildKindImages } from "./build.ts";
import { buildInClusterImages } from "./in-cluster-images.ts";

/**
 * `npm run kind:images`: the air-gapped path. Builds (or finds, by content)
 * every image a kind run needs, with no registry, and prints their names.
 * `npm run kind:images -- in-cluster`: the suite's own image and Sonobuoy's,
 * for the in-cluster path (manifests/in-cluster/, manifests/sonobuoy/).
 */
const started = Date.now();
const [which = "kind", ...rest] = process.argv.slice(2);
if (rest.length > 0 || !["kind", "in-cluster"].includes(which)) {
  console.error("usage: npm run kind:images [-- kind|in-cluster]");
  process.exit(2);
}
try {
  const images = which === "in-cluster" ? await buildInClusterImages() : await buildKindImages();
  for (const [role, image] of Object.entries(images)) console.log(`${role}\t${image}`);
  console.error(`${which} images ready in ${formatDuration(Date.now() - started)}`);
} catch (error) {
  console.error(errorText(error));
  process.exit(exitCodeOf(error));
}
