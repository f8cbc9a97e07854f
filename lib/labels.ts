/** Labels on everything the suite creates, so it finds (and removes) only its own objects. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "access-mode-conformance";

export const suiteLabels: Readonly<Record<string, string>> = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
