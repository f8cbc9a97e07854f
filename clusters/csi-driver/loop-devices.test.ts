import { describe, expect, it } from "vitest";
import { parseLoopList } from "./loop-devices.ts";

describe("parseLoopList", () => {
  it("reads losetup's raw NAME,RO list of a file's loop devices", () => {
    // losetup --list --noheadings --raw --output NAME,RO --associated <file>, util-linux 2.41 (Debian trixie).
    expect(parseLoopList("/dev/loop1 0\n/dev/loop0 1\n")).toEqual([
      { name: "/dev/loop1", readOnly: false },
      { name: "/dev/loop0", readOnly: true },
    ]);
    expect(parseLoopList("")).toEqual([]);
  });
});
