// Node runs this package's TypeScript by stripping its types, except under node_modules, which is
// where `npx access-mode-conformance` and `npm install` put the package. This hook strips the
// package's own .ts files there the same way (Node's own function, the same "strip" mode), so an
// installed amc runs exactly the code a checkout runs. Loaded with --import by every Node process
// amc starts (vitest's workers, the CSI drivers, the guardian), through NODE_OPTIONS.
import { readFileSync } from "node:fs";
import { registerHooks, stripTypeScriptTypes } from "node:module";

const packageRoot = new URL("../", import.meta.url).href;

registerHooks({
  load(url, context, nextLoad) {
    const own = url.startsWith(packageRoot) && !url.slice(packageRoot.length).includes("node_modules/");
    if (!own || !url.endsWith(".ts")) return nextLoad(url, context);
    const source = stripTypeScriptTypes(readFileSync(new URL(url), "utf8"), { sourceUrl: url });
    return { format: "module", source, shortCircuit: true };
  },
});
