import { readFileSync } from "node:fs";
import type {
  CoreV1Event,
  V1PersistentVolumeClaim,
  V1Pod,
  V1VolumeAttachment,
} from "@kubernetes/client-node";
import type { Fidelity } from "../../cluster/fidelity.ts";
import { recordedPlan } from "../../report/testdata/fixture.ts";
import type { Observations } from "../classify.ts";
import { type Scenario, scenarioById } from "../scenarios.ts";
import type { StorageProfile } from "../types.ts";

/**
 * The cluster objects recorded from the local cluster (`kubectl get -o json`
 * of a scenario's namespace after the control plane decided), as the
 * classifier sees them.
 */

export interface Recording {
  pods: V1Pod[];
  events: CoreV1Event[];
  claims: V1PersistentVolumeClaim[];
  attachments: V1VolumeAttachment[];
}

export function recording(name: string): Recording {
  return JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), "utf8")) as Recording;
}

export function observe(
  r: Recording,
  options: { fidelity?: Fidelity; attachRequired: boolean; events?: CoreV1Event[]; pods?: V1Pod[] },
): Observations {
  const pods = options.pods ?? r.pods;
  return {
    fidelity: options.fidelity ?? "control-plane",
    attachRequired: options.attachRequired,
    pods: new Map(pods.map((p) => [p.metadata?.name ?? "", p])),
    events: options.events ?? r.events,
    attachments: r.attachments,
    ...(r.claims[0] ? { claim: r.claims[0] } : {}),
  };
}

export function podOf(r: Recording, name: string): V1Pod {
  const pod = r.pods.find((p) => p.metadata?.name === name);
  if (!pod) throw new Error(`the recording has no pod ${name}`);
  return pod;
}

/** The pod as a real kubelet shows it while its volume cannot be attached: Pending, ContainerCreating. */
export function containerCreating(pod: V1Pod): V1Pod {
  return {
    ...pod,
    status: {
      phase: "Pending",
      containerStatuses: [
        {
          name: "app",
          image: "alpine",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ContainerCreating" } },
        },
      ],
    },
  };
}

export function scenarioOf(id: string): Scenario {
  const found = scenarioById(id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
}

/** A storage class as the recorded run's plan profiled it. */
export function plannedProfile(className: string): StorageProfile {
  const found = recordedPlan.storage.find((s) => s.className === className);
  if (!found) throw new Error(`the plan has no class ${className}`);
  return found;
}
