import { PassThrough } from "node:stream";
import { ApiException, Exec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ApiUnavailableError, apiErrorMessage, describeCause } from "./errors.ts";
import { closedPort, configFor, refused } from "./testdata/servers.ts";

describe("apiErrorMessage renders anything thrown readably", () => {
  it("an error with its causes", () => {
    expect(apiErrorMessage(refused(1))).toBe("fetch failed: connect ECONNREFUSED 127.0.0.1:1");
    const wrapped = new Error("listing pods", { cause: new Error("socket hang up", { cause: refused(2) }) });
    expect(apiErrorMessage(wrapped)).toBe(
      "listing pods: socket hang up: fetch failed: connect ECONNREFUSED 127.0.0.1:2",
    );
  });

  it("a name with several addresses: each address's failure once", () => {
    const both = new TypeError("fetch failed", {
      cause: new AggregateError([
        new Error("connect ECONNREFUSED ::1:6443"),
        new Error("connect ECONNREFUSED ::1:6443"),
      ]),
    });
    expect(apiErrorMessage(both)).toBe("fetch failed: connect ECONNREFUSED ::1:6443");
  });

  it("an API answer whose body is a Status object, its JSON, a text, or nothing", () => {
    const status = { kind: "Status", status: "Failure", message: 'pods "x" is forbidden', code: 403 };
    expect(apiErrorMessage(new ApiException(403, "Forbidden", status, {}))).toBe(
      'HTTP 403: pods "x" is forbidden',
    );
    expect(apiErrorMessage(new ApiException(409, "Conflict", JSON.stringify(status), {}))).toBe(
      'HTTP 409: pods "x" is forbidden',
    );
    expect(apiErrorMessage(new ApiException(502, "Bad Gateway", "upstream connect error", {}))).toBe(
      "HTTP 502: upstream connect error",
    );
    expect(apiErrorMessage(new ApiException(503, "", "", {}))).toBe("HTTP 503: Service Unavailable");
    expect(apiErrorMessage(new ApiException(500, "", { kind: "Status", reason: "InternalError" }, {}))).toBe(
      "HTTP 500: InternalError",
    );
  });

  it("the WebSocket error event an exec fails with, by its message (not [object Object])", async () => {
    const port = await closedPort();
    const thrown = await new Exec(configFor(`https://127.0.0.1:${port}`))
      .exec("ns", "pod", "app", ["true"], new PassThrough(), new PassThrough(), null, false)
      .catch((error: unknown) => error);
    expect(thrown).not.toBeInstanceOf(Error);
    expect(apiErrorMessage(thrown)).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("a Status object, an object with a message, any other object as JSON, and plain values", () => {
    expect(apiErrorMessage({ kind: "Status", status: "Failure", message: "container not found" })).toBe(
      "container not found",
    );
    expect(apiErrorMessage({ message: "runc create failed: unable to freeze" })).toBe(
      "runc create failed: unable to freeze",
    );
    expect(apiErrorMessage({ type: "error", target: "pod-a" })).toBe('{"type":"error","target":"pod-a"}');
    expect(apiErrorMessage({ error: refused(3) })).toBe("fetch failed: connect ECONNREFUSED 127.0.0.1:3");
    class Opaque {}
    expect(apiErrorMessage(new Opaque())).toBe("Opaque (no message)");
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(apiErrorMessage(circular)).toBe("Object with self");
    expect(apiErrorMessage("plain text")).toBe("plain text");
    expect(apiErrorMessage(undefined)).toBe("undefined");
    expect(apiErrorMessage(42)).toBe("42");
  });

  it("an error whose message tells its cause already, once", () => {
    const error = ApiUnavailableError.after("https://127.0.0.1:32766", 60_000, refused(32766));
    expect(apiErrorMessage(error)).toBe(
      "the API server at https://127.0.0.1:32766 did not answer for 60 s: connect ECONNREFUSED 127.0.0.1:32766",
    );
    const failing = ApiUnavailableError.after(
      "https://10.0.0.1:6443",
      60_000,
      new ApiException(503, "", { message: "etcdserver: leader changed" }, {}),
    );
    expect(apiErrorMessage(failing)).toBe(
      "the API server at https://10.0.0.1:6443 kept failing for 60 s: HTTP 503: etcdserver: leader changed",
    );
  });

  it("describeCause digs the socket's error out of fetch's", () => {
    expect(describeCause(refused(4))).toBe("connect ECONNREFUSED 127.0.0.1:4");
    expect(describeCause({ message: "opaque" })).toBe("opaque");
  });
});
