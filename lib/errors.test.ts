import { describe, expect, it } from "vitest";
import { errorText, exitCodeOf, InfrastructureError, UsageError } from "./errors.ts";
import { ProfileError } from "./profile/load-profile.ts";
import { UnknownStorageClassError } from "./storage/discover.ts";

describe("exitCodeOf", () => {
  it("maps the user's input to 2 and the cluster or the machine to 3, by code", () => {
    expect(exitCodeOf(new UsageError("unknown scenario"))).toBe(2);
    expect(exitCodeOf(new UnknownStorageClassError(["gp9"], ["gp3"]))).toBe(2);
    expect(exitCodeOf(new ProfileError("vendor.yaml", [{ line: 1, column: 1, message: "bad" }]))).toBe(2);
    expect(exitCodeOf(Object.assign(new TypeError("bad"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" }))).toBe(
      2,
    );
    expect(exitCodeOf(new InfrastructureError("connect ECONNREFUSED"))).toBe(3);
    expect(exitCodeOf(new InfrastructureError("could not provide kwok", "AMC_PROVISIONING"))).toBe(3);
    expect(exitCodeOf(new Error("anything else"))).toBe(3);
  });

  it("reads the code, not the class: a copy of the error from another module copy, or from a file, maps the same", () => {
    const copied = Object.assign(new Error("no such class"), { code: "AMC_UNKNOWN_STORAGE_CLASS" });
    expect(exitCodeOf(copied)).toBe(2);
    expect(exitCodeOf({ code: "AMC_TEARDOWN" })).toBe(3);
    expect(exitCodeOf({ code: "ENOENT" })).toBe(3);
  });
});

describe("errorText", () => {
  it("gives amc's own errors as their message and anything else with its stack", () => {
    expect(errorText(new UsageError("unknown scenario x"))).toBe("unknown scenario x");
    const bug = new TypeError("cannot read x");
    expect(errorText(bug)).toContain("TypeError: cannot read x\n    at ");
    expect(errorText("a string")).toBe("a string");
  });
});
