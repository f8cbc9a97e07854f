/** One timestamped line on stdout: what the driver's pod log shows. */
export function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}
