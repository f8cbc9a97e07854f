import { createServer } from "node:http";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { PooledKubeConfig } from "./client.ts";

describe("the API clients' connections", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it("are reused from one request to the next, not opened per request", async () => {
    let connections = 0;
    const server = createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }));
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    server.unref();
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("no port");

    const config = new PooledKubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "c", server: `http://127.0.0.1:${address.port}`, skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const core = config.makeApiClient(CoreV1Api);
    for (let i = 0; i < 10; i++) expect((await core.readNamespace({ name: "x" })).metadata?.name).toBe("x");
    // The pool may open a second connection while the first one's answer is still being read;
    // a dispatcher per request opened ten.
    expect(connections).toBeLessThanOrEqual(2);
  });
});
