import type { KindImages } from "../../lib/settings.ts";

/**
 * The images a kind run uses, each a setting (lib/settings.ts) with a pinned
 * default: unset, it is built on this machine by `npm run kind:images` (the
 * air-gapped path, cached by content); set, it is used as given (a mirror, a
 * locally built image, or upstream's kindest/node for the node). The pods'
 * image (AMC_IMAGE) needs sh and sleep.
 */
export type KindImageSettings = KindImages & { workload?: string };
