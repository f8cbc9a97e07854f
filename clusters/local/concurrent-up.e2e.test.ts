import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { connect } from "../../lib/kube/client.ts";
import { up } from "./provider.ts";
import { localNodes } from "./topology.ts";

/**
 * Test files and `amc` processes start local clusters side by side. kwokctl
 * alone gives two creations at once the same ports (it counts down from
 * 32767), and one cluster never gets Ready nodes.
 */
describe("local clusters started at the same time", () => {
  it("both come up with Ready nodes", async () => {
    const names = ["a", "b"].map((s) => `amc-pair-${s}-${randomBytes(2).toString("hex")}`);
    const results = await Promise.allSettled(names.map((name) => up({ name, ephemeral: true })));
    try {
      for (const result of results)
        expect(result.status === "rejected" ? String(result.reason) : "up").toBe("up");
      const servers = new Set<string>();
      for (const result of results) {
        if (result.status !== "fulfilled") continue;
        const kube = connect(result.value.kubeconfigPath);
        servers.add(kube.config.getCurrentCluster()?.server ?? "");
        const nodes = (await kube.core.listNode()).items;
        expect(
          nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
        ).toHaveLength(localNodes.length);
      }
      expect(servers.size).toBe(2);
    } finally {
      await Promise.all(results.map((r) => (r.status === "fulfilled" ? r.value.release() : undefined)));
    }
  });
});
