import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { finishUnderGuardian } from "./finish.ts";
import type { Guardian } from "./guardian.ts";

/** A run's own end under its guardian, with a guardian that records what it is told. */

function recordingGuardian() {
  const told: string[] = [];
  const guardian: Guardian = {
    update: (task) => told.push(`update ${Object.keys(task).join(",")}`),
    done: (...parts) => told.push(`done ${parts.join(",")}`),
    dismiss: () => told.push("dismiss"),
  };
  return { guardian, told };
}

const refused = new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });

beforeEach(() => {
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("a run's own end", () => {
  it("dismisses the guardian when every step is done", async () => {
    const { guardian, told } = recordingGuardian();
    const ran: string[] = [];
    await finishUnderGuardian(guardian, [
      { what: "writing the reports", parts: ["report"], work: async () => void ran.push("report") },
      { what: "removing the objects", parts: ["runObjects"], work: async () => void ran.push("objects") },
      {
        what: "giving the cluster back",
        parts: ["clusters", "removePaths"],
        work: async () => void ran.push("release"),
        skipWhileLeft: ["runObjects"],
      },
    ]);
    expect(ran).toEqual(["report", "objects", "release"]);
    expect(told).toEqual(["done report", "done runObjects", "done clusters,removePaths", "dismiss"]);
  });

  it("leaves the guardian what failed, never the reports written, and throws", async () => {
    const { guardian, told } = recordingGuardian();
    const ran: string[] = [];
    const finished = finishUnderGuardian(guardian, [
      { what: "writing the reports", parts: ["report"], work: async () => void ran.push("report") },
      {
        what: "removing the objects",
        parts: ["runObjects"],
        work: async () => {
          ran.push("objects");
          throw refused;
        },
      },
      {
        what: "giving the cluster back",
        parts: ["clusters", "removePaths"],
        work: async () => void ran.push("release"),
        skipWhileLeft: ["runObjects"],
      },
    ]);
    await expect(finished).rejects.toBe(refused);
    // The kubeconfig the guardian removes the objects with stays: releasing is the guardian's too.
    expect(ran).toEqual(["report", "objects"]);
    expect(told).toEqual(["done report"]);
    const said = vi.mocked(process.stderr.write).mock.calls.join("");
    expect(said).toContain("[amc teardown] removing the objects failed: fetch failed");
    expect(said).toContain(
      "[amc teardown] left to the run's guardian, which does it when this process ends: removing the objects; giving the cluster back",
    );
  });

  it("goes on after a failed step it does not depend on", async () => {
    const { guardian, told } = recordingGuardian();
    const ran: string[] = [];
    const finished = finishUnderGuardian(guardian, [
      {
        what: "writing the reports",
        parts: ["report"],
        work: async () => {
          throw new Error("ENOSPC: no space left on device");
        },
      },
      { what: "removing the objects", parts: ["runObjects"], work: async () => void ran.push("objects") },
      {
        what: "giving the cluster back",
        parts: ["clusters", "removePaths"],
        work: async () => void ran.push("release"),
        skipWhileLeft: ["runObjects"],
      },
    ]);
    await expect(finished).rejects.toThrow("ENOSPC");
    expect(ran).toEqual(["objects", "release"]);
    expect(told).toEqual(["done runObjects", "done clusters,removePaths"]);
  });
});
