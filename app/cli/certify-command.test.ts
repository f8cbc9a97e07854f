import { afterEach, describe, expect, it, vi } from "vitest";
import { testDriverInput } from "./certify-command.ts";

/** What `amc certify --testdriver` does before the run: the claims said, and the files' Timeouts as the run's factor. */

const block = "lib/profile/testdata/testdriver-block.yaml";

function stderr() {
  const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  return () => write.mock.calls.map((c) => String(c[0])).join("");
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("certify --testdriver, before the run", () => {
  it("says each class's claims and the warnings, and scales the waits by the file's Timeouts", async () => {
    vi.stubEnv("AMC_TIMEOUT_SCALE", "");
    const said = stderr();
    const env: Record<string, string> = {};
    const input = await testDriverInput([block], undefined, env);
    expect(input.stored.profile.storageClasses.map((c) => c.name)).toEqual(["example-block"]);
    expect(env.AMC_TIMEOUT_SCALE).toBe("2");
    expect(said()).toContain(
      "[amc certify] class example-block (block.csi.example.com): supports ReadWriteOnce, ReadWriteOncePod; on raw block ReadWriteOnce, ReadWriteOncePod; not claimed (not checked): ReadWriteMany, ReadWriteMany (raw block), rwoCrossNode\n",
    );
    expect(said()).toContain(
      "[amc certify] 10 warning(s) about the test-driver files (also in the certification):\n",
    );
    expect(said()).toContain(
      "[amc certify] lib/profile/testdata/testdriver-block.yaml: Timeouts: PodStart 10m is 2x upstream's 5m (a pod admitted and running): every wait x2\n",
    );
  });

  it("leaves the waits to --timeout (or AMC_TIMEOUT_SCALE) when given, and says so", async () => {
    const said = stderr();
    const env: Record<string, string> = { AMC_TIMEOUT_SCALE: "1.5" };
    await testDriverInput([block], undefined, env);
    expect(env.AMC_TIMEOUT_SCALE).toBe("1.5");
    expect(said()).toContain(
      "Timeouts ask for x2 (PodStart 10m is 2x upstream's 5m (a pod admitted and running)); the timeout factor given, x1.5, applies",
    );
  });
});
