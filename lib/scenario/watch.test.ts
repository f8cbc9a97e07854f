import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { objectKey } from "../kube/wait.ts";
import { type Recording, recording } from "./testdata/recordings.ts";
import { observationsOf } from "./watch.ts";

/** What the classifier reads from the waiter's snapshot, on objects recorded from the local cluster. */

const byKey = (objects: readonly KubernetesObject[]) => new Map(objects.map((o) => [objectKey(o), o]));
const snapshot = (r: Recording) => ({
  pods: byKey(r.pods),
  events: byKey(r.events),
  claims: byKey(r.claims),
  attachments: byKey(r.attachments),
});

describe("observations of a scenario's namespace", () => {
  const r = recording("rwo-cross-block");
  const claim = r.claims[0]?.metadata?.name as string;
  const namespace = r.claims[0]?.metadata?.namespace as string;
  const block = {
    csiDriver: { name: "amc-block.csi.test", attachRequired: true },
    family: "attachable" as const,
  };

  it("find the scenario's claim, its pods by name, and the attachments of its volume", () => {
    const o = observationsOf(snapshot(r), { namespace, claim, fidelity: "control-plane", storage: block });
    expect(o.claim?.metadata?.name).toBe(claim);
    expect([...o.pods.keys()].sort()).toEqual(["pod-a", "pod-b"]);
    expect(o.attachments).toHaveLength(1);
    expect(o.events).toHaveLength(r.events.length);
    expect(o.attachRequired).toBe(true);
  });

  it("keep no attachment before the claim is seen, nor of another volume", () => {
    const noClaim = observationsOf(
      { ...snapshot(r), claims: new Map() },
      {
        namespace,
        claim,
        fidelity: "control-plane",
        storage: block,
      },
    );
    expect(noClaim.claim).toBeUndefined();
    expect(noClaim.attachments).toEqual([]);
    const other = observationsOf(snapshot(r), {
      namespace,
      claim: "other",
      fidelity: "full",
      storage: block,
    });
    expect(other.attachments).toEqual([]);
    expect(other.fidelity).toBe("full");
  });

  it("take attach from the CSIDriver, else from the storage family", () => {
    const scope = { namespace, claim, fidelity: "control-plane" as const };
    const noAttach = {
      csiDriver: { name: "amc-shared.csi.test", attachRequired: false },
      family: "attachable" as const,
    };
    expect(observationsOf(snapshot(r), { ...scope, storage: noAttach }).attachRequired).toBe(false);
    expect(observationsOf(snapshot(r), { ...scope, storage: { family: "attachable" } }).attachRequired).toBe(
      true,
    );
    expect(observationsOf(snapshot(r), { ...scope, storage: { family: "shared" } }).attachRequired).toBe(
      false,
    );
  });
});
