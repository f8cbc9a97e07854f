import { describe, expect, it } from "vitest";
import { formatDuration } from "./progress.ts";

describe("formatDuration", () => {
  it("reads well from milliseconds to minutes", () => {
    expect(formatDuration(1_234)).toBe("1.2s");
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(185_000)).toBe("3m05s");
  });
});
