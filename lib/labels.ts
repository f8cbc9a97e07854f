/**
 * Every label and annotation the suite reads or writes, in one place: its own
 * (so that it finds, and removes, only the objects it created) and the
 * well-known ones of Kubernetes it places pods and reads topology by.
 */

/** On everything the suite creates. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "access-mode-conformance";

export const suiteLabels: Readonly<Record<string, string>> = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };

/** The run an object belongs to, and the scenario and storage class it was created for. */
export const RUN_LABEL = "access-mode-conformance/run";
export const SCENARIO_LABEL = "access-mode-conformance/scenario";
export const CLASS_LABEL = "access-mode-conformance/storage-class";
/** Who started the run (host/pid/start ticks), so a later run can tell a crashed run's leftovers from a live one's. */
export const OWNER_ANNOTATION = "access-mode-conformance/owner";
export const STARTED_ANNOTATION = "access-mode-conformance/started-at";
/** The pod a run inside the cluster is in ("namespace/name/uid"): gone with its pod, as the API tells any later run. */
export const OWNER_POD_ANNOTATION = "access-mode-conformance/owner-pod";

/**
 * On a PersistentVolume the run keeps for a while (Retain, while a seeded
 * volume is re-bound: lib/scenario/steps/seed.ts): the reclaim policy it had,
 * which a clean-up gives back if the run could not (deleteNamespaceAndWait).
 */
export const RECLAIM_POLICY_ANNOTATION = "access-mode-conformance/reclaim-policy";

/** Kubernetes' well-known node labels. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
