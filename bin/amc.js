#!/usr/bin/env node
// amc: the command line of access-mode-conformance (lib/cli/main.ts). Plain JavaScript so that an old
// Node says what it needs instead of failing on TypeScript it cannot read.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`amc needs Node.js 22.18 or later (it runs TypeScript directly); this is ${process.version}`);
  process.exit(2);
}
const { main } = await import("../lib/cli/main.ts");
process.exit(await main(process.argv.slice(2)));
