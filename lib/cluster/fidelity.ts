/** The two facts about a cluster that every record carries, apart from the contract so that records need not import it. */

/**
 * `control-plane`: a real API server, scheduler and controllers with simulated
 * nodes; kubelet-level behaviour (mounts, pod phases) is not real.
 * `full`: real kubelets.
 */
export type Fidelity = "control-plane" | "full";

/** A provider's name in the registry (clusters/registry.ts): local, kind, kubeconfig, ... */
export type ProviderId = string;
