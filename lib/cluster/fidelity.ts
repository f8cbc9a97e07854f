/** The facts about a cluster that records carry, apart from the contract so that records need not import it. */

/**
 * `control-plane`: a real API server, scheduler and controllers with simulated
 * nodes; kubelet-level behaviour (mounts, pod phases) is not real.
 * `full`: real kubelets.
 */
export type Fidelity = "control-plane" | "full";

/** A provider's name in the registry (clusters/registry.ts): local, kind, kubeconfig, ... */
export type ProviderId = string;

/**
 * How a node fails. `kubelet-stopped`: the node stops reporting, its
 * containers keep running (what a network partition leaves, and what
 * upstream's own test does); `powered-off`: its containers stop too.
 */
export type NodeFaultMode = "kubelet-stopped" | "powered-off";
