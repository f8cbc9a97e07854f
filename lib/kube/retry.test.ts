import { ApiException } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { retrying } from "./client.ts";
import { ApiUnavailableError, apiErrorMessage } from "./errors.ts";
import { API_OUTAGE_BUDGET_MS, isTransient, withRetry } from "./retry.ts";
import { refused } from "./testdata/servers.ts";

/** The settled state of a promise, readable while fake timers run. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe("withRetry rides out an API server outage, for a bounded time", () => {
  let lines: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    lines = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("waits about a minute", () => {
    expect(API_OUTAGE_BUDGET_MS).toBe(60_000);
  });

  it("succeeds when the server answers again after failing 20 times (about 35 s)", async () => {
    let calls = 0;
    const call = async () => {
      calls++;
      if (calls <= 20) throw refused(1);
      return "listed";
    };
    const state = track(withRetry("list pods", call, { server: "https://127.0.0.1:1" }));
    await vi.advanceTimersByTimeAsync(50_000);
    expect(state).toEqual({ settled: true, value: "listed" });
    expect(calls).toBe(21);
  });

  it("gives up after the bound, naming the API server and the innermost cause", async () => {
    const server = "https://127.0.0.1:32766";
    const state = track(withRetry("list pods", () => Promise.reject(refused(32766)), { server }));
    await vi.advanceTimersByTimeAsync(API_OUTAGE_BUDGET_MS - 1_000);
    expect(state.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(state.settled).toBe(true);
    expect(state.error).toBeInstanceOf(ApiUnavailableError);
    expect(apiErrorMessage(state.error)).toBe(
      "the API server at https://127.0.0.1:32766 did not answer for 60 s: connect ECONNREFUSED 127.0.0.1:32766",
    );
  });

  it("takes its bound from the call", async () => {
    const state = track(
      withRetry("list pods", () => Promise.reject(refused(2)), {
        server: "https://127.0.0.1:2",
        budgetMs: 5_000,
      }),
    );
    await vi.advanceTimersByTimeAsync(6_000);
    expect(apiErrorMessage(state.error)).toBe(
      "the API server at https://127.0.0.1:2 did not answer for 5 s: connect ECONNREFUSED 127.0.0.1:2",
    );
  });

  it("says so when the outage starts and every 15 s, not on every try", async () => {
    const server = "https://127.0.0.1:3";
    const state = track(withRetry("list pods", () => Promise.reject(refused(3)), { server }));
    await vi.advanceTimersByTimeAsync(API_OUTAGE_BUDGET_MS + 2_000);
    expect(state.settled).toBe(true);
    expect(lines).toHaveLength(4); // at 0, 15, 30 and 45 s
    expect(lines[0]).toBe(
      "[amc kube] the API server at https://127.0.0.1:3 fails (list pods: fetch failed: connect ECONNREFUSED 127.0.0.1:3); retrying for up to 1m00s\n",
    );
    expect(lines[1]).toMatch(
      /^\[amc kube\] the API server at https:\/\/127\.0\.0\.1:3 has been failing for 1[5-8]s \(fetch failed/,
    );
  });

  it("says when the server answers again", async () => {
    let calls = 0;
    const call = async () => {
      if (++calls < 3) throw new ApiException(503, "", "", {});
      return "ok";
    };
    const state = track(withRetry("get pod", call, { server: "https://127.0.0.1:4" }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(state.value).toBe("ok");
    expect(lines.at(-1)).toMatch(
      /^\[amc kube\] the API server at https:\/\/127\.0\.0\.1:4 answers again after/,
    );
  });

  it("does not retry answers that will not change", async () => {
    let calls = 0;
    const forbidden = new ApiException(403, "", { message: "forbidden" }, {});
    const state = track(
      withRetry("create pod", async () => {
        calls++;
        throw forbidden;
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(state.error).toBe(forbidden);
    expect(calls).toBe(1);
  });
});

describe("isTransient", () => {
  it("is true for a refused or broken connection, 429 and 5xx", () => {
    expect(isTransient(refused(1))).toBe(true);
    const reset = new TypeError("fetch failed", {
      cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
    });
    expect(isTransient(reset)).toBe(true);
    // An answer cut short when the API server was killed while it sent it.
    const cut = new TypeError("terminated", {
      cause: Object.assign(new Error("Response body length does not match content-length header"), {
        code: "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
      }),
    });
    expect(isTransient(cut)).toBe(true);
    expect(isTransient(new ApiException(429, "", "", {}))).toBe(true);
    expect(isTransient(new ApiException(503, "", "", {}))).toBe(true);
    expect(isTransient(Object.assign(new Error("Service Unavailable"), { statusCode: 503 }))).toBe(true);
  });

  it("is false for answers, aborts, failures no retry mends, and a call that gave up", () => {
    expect(isTransient(new ApiException(404, "", "", {}))).toBe(false);
    expect(isTransient(new ApiException(409, "", "", {}))).toBe(false);
    expect(isTransient(new DOMException("aborted", "AbortError"))).toBe(false);
    expect(isTransient(new TypeError("fetch failed", { cause: new Error("bad port") }))).toBe(false);
    expect(isTransient(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isTransient(ApiUnavailableError.after("https://x", 60_000, refused(1)))).toBe(false);
  });
});

describe("the retrying API client", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("retries every call, and takes a create's 409 after a lost answer for the create's success", async () => {
    let creates = 0;
    const api = {
      async createNamespacedPod(param: { namespace: string; body: { metadata: { name: string } } }) {
        creates++;
        // The first answer is lost: the server got the pod, the connection broke.
        if (creates === 1)
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
          });
        throw new ApiException(
          409,
          "Conflict",
          { message: `pods "${param.body.metadata.name}" already exists` },
          {},
        );
      },
      async readNamespacedPod() {
        throw new ApiException(409, "Conflict", "", {});
      },
    };
    const client = retrying(api, { server: "https://127.0.0.1:5", budgetMs: 60_000 });
    const body = { metadata: { name: "pod-a" } };
    const created = track(client.createNamespacedPod({ namespace: "ns", body }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(created).toEqual({ settled: true, value: body });
    expect(creates).toBe(2);
    // A 409 without a lost answer before it is the server's answer.
    const read = track(client.readNamespacedPod());
    await vi.advanceTimersByTimeAsync(1_000);
    expect((read.error as ApiException<unknown>).code).toBe(409);
  });

  it("fails after the bound with the server's name", async () => {
    const api = { listNode: () => Promise.reject(refused(6)) };
    const client = retrying(api, { server: "https://127.0.0.1:6", budgetMs: 10_000 });
    const state = track(client.listNode());
    await vi.advanceTimersByTimeAsync(12_000);
    expect(apiErrorMessage(state.error)).toBe(
      "the API server at https://127.0.0.1:6 did not answer for 10 s: connect ECONNREFUSED 127.0.0.1:6",
    );
  });
});
