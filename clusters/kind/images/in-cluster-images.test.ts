import { describe, expect, it } from "vitest";
import { parseLdd } from "./in-cluster-images.ts";

describe("the suite image's shared libraries", () => {
  it("are every path ldd resolves, the loader included, and not the vDSO", () => {
    // ldd of Node 24's binary (the `node` devDependency) on this project's Debian machine.
    const output = `	linux-vdso.so.1 (0x00007fc14bedb000)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007fc14bec4000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007fc14bc00000)
	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007fc14bb20000)
	libgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007fc14bea4000)
	libpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007fc14be9f000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fc14b93e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007fc14bedd000)`;
    expect(parseLdd(output)).toEqual([
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib/x86_64-linux-gnu/libdl.so.2",
      "/lib/x86_64-linux-gnu/libgcc_s.so.1",
      "/lib/x86_64-linux-gnu/libm.so.6",
      "/lib/x86_64-linux-gnu/libpthread.so.0",
      "/lib/x86_64-linux-gnu/libstdc++.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("leave out what ldd could not find rather than copy a path that is not there", () => {
    expect(
      parseLdd("\tlibrt.so.1 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)"),
    ).toEqual(["/lib/x86_64-linux-gnu/libc.so.6"]);
  });
});
