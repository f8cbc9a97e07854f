/**
 * How long each wait may take before the run calls it inconclusive. Named
 * defaults in one place; AMC_TIMEOUT_SCALE multiplies them (slow clouds),
 * a scenario step never hard-codes its own.
 */
export interface Timeouts {
  /** An Immediate claim to bind (or be refused). */
  claimBound: number;
  /** The first pod to be admitted: scheduled, its volume provisioned and attached, running. */
  admitted: number;
  /** The control plane's decision about the second pod. */
  decision: number;
  /** The volume to move to the waiting pod's node once the holder is gone (forced detach takes 6 min). */
  handover: number;
  /** The higher-priority pod to preempt the holder. */
  preemption: number;
  /** A workload's rollout to complete or stall (a completion includes the volume's detach and attach). */
  rollout: number;
  /** A command run in a pod (kubelet-level checks). */
  exec: number;
  /** A scenario's namespace and its volumes to be gone. */
  cleanup: number;
}

export const defaultTimeouts: Timeouts = {
  claimBound: 120_000,
  admitted: 180_000,
  decision: 120_000,
  handover: 8 * 60_000,
  preemption: 120_000,
  rollout: 5 * 60_000,
  exec: 30_000,
  cleanup: 180_000,
};

export function scaledTimeouts(factor: number, base: Timeouts = defaultTimeouts): Timeouts {
  return Object.fromEntries(
    Object.entries(base).map(([key, ms]) => [key, Math.round(ms * factor)]),
  ) as unknown as Timeouts;
}

/** The timeouts of a run: the defaults times its AMC_TIMEOUT_SCALE (lib/settings.ts). */
export function timeoutsOf(settings: { timeoutScale: number }): Timeouts {
  return scaledTimeouts(settings.timeoutScale);
}
