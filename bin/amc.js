#!/usr/bin/env node
// amc: the command line of access-mode-conformance (app/cli/main.ts). Plain JavaScript so that an old
// Node says what it needs instead of failing on TypeScript it cannot read.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `amc needs Node.js 22.18 or later (it runs TypeScript directly); this is ${process.version}. Install Node.js 22.18+, or in a checkout run \`npm ci\` then \`npm run amc -- …\`, which uses the project's own Node 24 (the \`node\` devDependency).`,
  );
  process.exit(2);
}
if (import.meta.url.includes("/node_modules/")) {
  // Installed: Node strips no types under node_modules; this process and every Node process it
  // starts strip the package's own with bin/strip-package-types.js.
  const hook = new URL("./strip-package-types.js", import.meta.url).href;
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, `--import=${hook}`].filter(Boolean).join(" ");
  await import(hook);
}
// `amc cluster status | head`: the reader may leave before amc has said everything. That is no error:
// amc stops writing to that stream and ends with the exit code of what it did.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    stream.write = () => true;
  });
}
const { main } = await import("../app/cli/main.ts");
process.exit(await main(process.argv.slice(2)));
