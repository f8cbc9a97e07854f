import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { describeCause } from "../kube/errors.ts";
import { apiProblemMessage } from "./api-answers.ts";

const endpoint = { server: "https://10.0.0.1:6443", context: "prod", source: "/home/me/.kube/config" };

describe("why the API server does not answer", () => {
  it("digs the socket's error out of fetch's", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:6443"), { code: "ECONNREFUSED" });
    expect(describeCause(new TypeError("fetch failed", { cause: refused }), 10_000)).toBe(
      "connect ECONNREFUSED 10.0.0.1:6443",
    );
  });

  it("gives each address's failure once for a name with several", () => {
    const both = new AggregateError([
      new Error("connect ECONNREFUSED ::1:6443"),
      new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    ]);
    expect(describeCause(new TypeError("fetch failed", { cause: both }), 10_000)).toBe(
      "connect ECONNREFUSED ::1:6443; connect ECONNREFUSED 127.0.0.1:6443",
    );
  });

  it("calls the deadline by its length", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(describeCause(timeout, 10_000)).toBe("no answer within 10 s");
  });

  it("names the server, the context and the cause, on lines of their own", () => {
    const cause = new TypeError("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND api.example") });
    expect(apiProblemMessage(endpoint, cause, 10_000).split("\n")).toEqual([
      'the API server at https://10.0.0.1:6443 does not answer (context "prod" of /home/me/.kube/config)',
      "  cause: getaddrinfo ENOTFOUND api.example",
      "  check that the cluster is running and reachable from this machine, and that the kubeconfig and context are the ones meant (--kubeconfig, --context)",
    ]);
  });

  it("says that a blocked port is refused by the HTTP client, not by a server", async () => {
    // What Node's fetch really throws for a port the fetch standard blocks.
    const error = await fetch("https://127.0.0.1:1/version").catch((e: unknown) => e);
    const message = apiProblemMessage({ ...endpoint, server: "https://127.0.0.1:1" }, error, 10_000);
    expect(message.split("\n")[1]).toBe(
      "  cause: Node's HTTP client refuses port 1: the fetch standard blocks it, so no server on it can be reached, whether it runs or not",
    );
    expect(message).not.toContain("bad port");
  });

  it("tells refused credentials from a server that is not there", () => {
    const message = apiProblemMessage(endpoint, new ApiException(401, "Unauthorized", "", {}), 10_000);
    expect(message).toMatch(
      /^the API server at https:\/\/10\.0\.0\.1:6443 refuses the credentials of context "prod"/,
    );
  });
});
