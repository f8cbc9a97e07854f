/**
 * A test-driver file's `Timeouts` (upstream's framework.TimeoutContext keys,
 * each a Go duration) turned into amc's one timeout factor, AMC_TIMEOUT_SCALE.
 *
 * amc has named waits of its own (lib/scenario/timeouts.ts), most of them
 * shorter than upstream's, and one factor that scales them all. A file that
 * raises one of upstream's waits says the driver is slower there than
 * upstream expects, so amc raises its waits by the same ratio. One factor
 * for every wait, so the largest ratio among the waits amc also has (a pod
 * started, a claim provisioned or bound, a pod or volume deleted): a wait
 * too short turns results inconclusive, one too long only costs time when
 * something hangs. Never below 1: a file that shortens upstream's waits says
 * they are generous, not that amc's own shorter ones are.
 */

const minute = 60_000;

/**
 * Upstream's defaults (test/e2e/framework/timeouts.go, `defaultTimeouts`),
 * and, for the waits amc has too, which of amc's it stands for.
 */
export const upstreamTimeouts: Record<string, { defaultMs: number; amcWait?: string; notUsed?: string }> = {
  PodStart: { defaultMs: 5 * minute, amcWait: "a pod admitted and running" },
  PodStartShort: { defaultMs: 2 * minute, amcWait: "a pod admitted and running" },
  PodStartSlow: { defaultMs: 15 * minute, amcWait: "a pod admitted and running" },
  PodDelete: { defaultMs: 5 * minute, amcWait: "a pod deleted (handoffs, clean-up)" },
  ClaimProvision: { defaultMs: 5 * minute, amcWait: "a claim provisioned" },
  ClaimProvisionShort: { defaultMs: 1 * minute, amcWait: "a claim provisioned" },
  ClaimBound: { defaultMs: 3 * minute, amcWait: "a claim bound" },
  PVBound: { defaultMs: 3 * minute, amcWait: "a claim bound" },
  PVCreate: { defaultMs: 3 * minute, amcWait: "a claim provisioned" },
  PVDelete: { defaultMs: 5 * minute, amcWait: "a volume deleted (clean-up)" },
  PVDeleteSlow: { defaultMs: 20 * minute, amcWait: "a volume deleted (clean-up)" },
  PVReclaim: { defaultMs: 3 * minute, amcWait: "a volume reclaimed (clean-up)" },
  Poll: { defaultMs: 2_000, notUsed: "amc watches instead of polling" },
  DataSourceProvision: { defaultMs: 5 * minute, notUsed: "amc provisions no claim from a data source" },
  SnapshotCreate: { defaultMs: 5 * minute, notUsed: "amc takes no snapshot" },
  SnapshotDelete: { defaultMs: 5 * minute, notUsed: "amc takes no snapshot" },
  SnapshotControllerMetrics: { defaultMs: 5 * minute, notUsed: "amc takes no snapshot" },
  SystemPodsStartup: { defaultMs: 10 * minute, notUsed: "amc waits for no system pod" },
  NodeSchedulable: { defaultMs: 30 * minute, notUsed: "amc's preflight checks the nodes once" },
  SystemDaemonsetStartup: { defaultMs: 5 * minute, notUsed: "amc waits for no system DaemonSet" },
  NodeNotReady: {
    defaultMs: 3 * minute,
    notUsed: "amc's node-failure scenarios have their own budget (--failover-budget)",
  },
};

/**
 * The canonical key for a key as written: upstream decodes Timeouts with Go's
 * encoding/json, whose field names match regardless of case.
 */
export function timeoutKey(written: string): string | undefined {
  return Object.keys(upstreamTimeouts).find((k) => k.toLowerCase() === written.toLowerCase());
}

const goUnitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: minute,
  h: 60 * minute,
};

/** A Go duration ("5m", "1h30m", "1.5s", "0") in ms, as time.ParseDuration reads it; undefined when it is not one. */
export function goDurationMs(text: string): number | undefined {
  if (text === "0") return 0;
  const signed = /^([-+]?)(.+)$/.exec(text);
  if (!signed) return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  const body = signed[2] as string;
  while (at < body.length) {
    part.lastIndex = at;
    const match = part.exec(body);
    if (!match) return undefined;
    total += Number(match[1]) * (goUnitsMs[match[2] as string] as number);
    at = part.lastIndex;
  }
  return signed[1] === "-" ? -total : total;
}

export interface TimeoutScale {
  /** At least 1, rounded up to hundredths. */
  factor: number;
  /** The key that set a factor above 1, in words ("ClaimProvision 10m is 2x upstream's 5m"). */
  because?: string;
}

const inMinutes = (ms: number) => (ms % minute === 0 ? `${ms / minute}m` : `${ms / 1000}s`);

/** The factor for amc's waits from a file's timeouts: canonical key → ms. See the module's comment. */
export function timeoutScaleOf(timeouts: Readonly<Record<string, number>>): TimeoutScale {
  let scale: TimeoutScale = { factor: 1 };
  for (const [key, ms] of Object.entries(timeouts)) {
    const upstream = upstreamTimeouts[key];
    if (!upstream?.amcWait) continue;
    const factor = Math.ceil((ms / upstream.defaultMs) * 100) / 100;
    if (factor > scale.factor) {
      scale = {
        factor,
        because: `${key} ${inMinutes(ms)} is ${factor}x upstream's ${inMinutes(upstream.defaultMs)} (${upstream.amcWait})`,
      };
    }
  }
  return scale;
}
