import { describe, expect, it } from "vitest";
import { deviceName, mountAt, parseMountInfo } from "./mounts.ts";

// Lines as a kind node's plugin container shows them: the root, a hostPath data dir, and two bind mounts of one volume, the second read-only.
const mountinfo = `1063 992 0:101 / / rw,relatime master:470 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
1071 1063 254:0 /var/lib/amc-csi/data /data rw,relatime - ext4 /dev/vda rw
1080 1063 254:0 /var/lib/kubelet /var/lib/kubelet rw,relatime shared:1 - ext4 /dev/vda rw
1090 1080 254:0 /var/lib/amc-csi/data/v1 /var/lib/kubelet/pods/a/volumes/kubernetes.io~csi/pv\\040one/mount rw,relatime shared:1 - ext4 /dev/vda rw
1091 1080 254:0 /var/lib/amc-csi/data/v1 /var/lib/kubelet/pods/b/mount ro,relatime shared:1 - ext4 /dev/vda rw
`;

describe("the mount table", () => {
  const mounts = parseMountInfo(mountinfo);

  it("reads mount point, root, device and the per-mount read-only flag, decoding escapes", () => {
    expect(mounts).toHaveLength(5);
    expect(mounts[3]).toEqual({
      mountPoint: "/var/lib/kubelet/pods/a/volumes/kubernetes.io~csi/pv one/mount",
      root: "/var/lib/amc-csi/data/v1",
      device: "254:0",
      readOnly: false,
    });
    // The super options say rw; the bind mount itself is read-only.
    expect(mounts[4]?.readOnly).toBe(true);
  });

  it("finds the mount on top at a path, and nothing where no mount is", () => {
    const stacked = parseMountInfo(
      `${mountinfo}1092 1091 0:55 / /var/lib/kubelet/pods/b/mount rw - tmpfs tmpfs rw\n`,
    );
    expect(mountAt(stacked, "/var/lib/kubelet/pods/b/mount")?.device).toBe("0:55");
    expect(mountAt(mounts, "/var/lib/kubelet/pods")).toBeUndefined();
  });

  it("refuses a line it cannot read", () => {
    expect(() => parseMountInfo("1 2 3\n")).toThrow(/unreadable mountinfo line/);
  });

  it("names devices as mountinfo does", () => {
    expect(deviceName(0xfe00n)).toBe("254:0"); // /dev/vda
    expect(deviceName(0x65n)).toBe("0:101");
    // glibc's makedev(0x1234abc, 0x78956): the high bits of both numbers above bit 32 and 20.
    const dev = (0x1234000n << 32n) | (0x78900n << 12n) | (0xabcn << 8n) | 0x56n;
    expect(deviceName(dev)).toBe(`${0x1234abc}:${0x78956}`);
  });
});
