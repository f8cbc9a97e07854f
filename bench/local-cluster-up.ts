import { randomBytes } from "node:crypto";
import { down, up } from "../clusters/local/provider.ts";
import { formatDuration } from "../lib/progress.ts";

/**
 * Measures the local cluster's `up` and `down` with warm binaries (run
 * `npm run binaries` first, or let the first round build them). Prints each
 * round and the median. Usage: npm run bench:cluster [-- ROUNDS]
 */
const rounds = Number(process.argv[2] ?? 5);
const ups: number[] = [];
const downs: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const name = `amc-bench-${randomBytes(2).toString("hex")}`;
  let started = Date.now();
  await up({ name, ephemeral: true });
  ups.push(Date.now() - started);
  started = Date.now();
  await down(name);
  downs.push(Date.now() - started);
  console.log(
    `round ${round}: up ${formatDuration(ups.at(-1) ?? 0)}, down ${formatDuration(downs.at(-1) ?? 0)}`,
  );
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
console.log(`median of ${rounds}: up ${formatDuration(median(ups))}, down ${formatDuration(median(downs))}`);
