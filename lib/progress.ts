/**
 * Progress lines for long work (builds, cluster start, waits). Plain lines on
 * stderr, so they show up live in a terminal, in CI logs and under vitest.
 */

export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${(ms / 1000).toFixed(totalSeconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

export function say(scope: string, message: string): void {
  process.stderr.write(`[amc ${scope}] ${message}\n`);
}

/**
 * Repeats a status line every `everyMs` until the returned function is called,
 * so that no long step sits silent.
 */
export function heartbeat(scope: string, status: (elapsed: string) => string, everyMs = 15_000): () => void {
  const started = Date.now();
  const timer = setInterval(() => say(scope, status(formatDuration(Date.now() - started))), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Runs `work`, saying what it is before and how long it took after. */
export async function timed<T>(scope: string, what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(scope, `${what} ...`);
  const result = await work();
  say(scope, `${what}: done in ${formatDuration(Date.now() - started)}`);
  return result;
}
