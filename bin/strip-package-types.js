// Node runs this package's TypeScript by stripping its types, except under node_modules, which is
// where `npx access-mode-conformance` and `npm install` put the package. This hook strips the
// package's own .ts files there the same way (Node's own function, the same "strip" mode), so an
// installed amc runs exactly the code a checkout runs. Loaded with --import by every Node process
// amc starts (vitest's workers, the CSI drivers, the guardian), through NODE_OPTIONS.
import { readFileSync } from "node:fs";
import { registerHooks, stripTypeScriptTypes } from "node:module";

const packageRoot = new URL("../", import.meta.url);

// stripTypeScriptTypes warns that it is experimental, once per process: that says nothing to a user.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith("stripTypeScriptTypes")) return;
  emitWarning.call(process, warning, ...rest);
};

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith(packageRoot.href)) return nextLoad(url, context);
    const { pathname } = new URL(url);
    const own = !pathname.slice(packageRoot.pathname.length).includes("node_modules/");
    if (!own || !pathname.endsWith(".ts")) return nextLoad(url, context);
    const source = stripTypeScriptTypes(readFileSync(new URL(url), "utf8"), { sourceUrl: url });
    return { format: "module", source, shortCircuit: true };
  },
});
