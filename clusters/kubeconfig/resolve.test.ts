import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../lib/errors.ts";
import { writePrivateCopy } from "../existing/private-copy.ts";
import { chooseContext, kubeconfigFiles, loadKubeconfig, pinnedKubeconfig } from "./resolve.ts";

const dir = mkdtempSync(join(tmpdir(), "amc-resolve-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A kubeconfig file as kubectl and kind write them. */
function kubeconfig(options: {
  current?: string;
  contexts: { name: string; cluster: string; user?: string; namespace?: string }[];
  clusters: { name: string; server: string; ca?: string; caData?: string }[];
  users: { name: string; token?: string; cert?: string; key?: string }[];
}): string {
  const lines = ["apiVersion: v1", "kind: Config"];
  if (options.current) lines.push(`current-context: ${options.current}`);
  lines.push("clusters:");
  for (const c of options.clusters) {
    lines.push(`- name: ${c.name}`, "  cluster:", `    server: ${c.server}`);
    if (c.ca) lines.push(`    certificate-authority: ${c.ca}`);
    if (c.caData) lines.push(`    certificate-authority-data: ${c.caData}`);
  }
  lines.push("contexts:");
  for (const c of options.contexts) {
    lines.push(`- name: ${c.name}`, "  context:", `    cluster: ${c.cluster}`);
    if (c.user) lines.push(`    user: ${c.user}`);
    if (c.namespace) lines.push(`    namespace: ${c.namespace}`);
  }
  lines.push("users:");
  for (const u of options.users) {
    lines.push(`- name: ${u.name}`, "  user:");
    if (u.token) lines.push(`    token: ${u.token}`);
    if (u.cert) lines.push(`    client-certificate: ${u.cert}`);
    if (u.key) lines.push(`    client-key: ${u.key}`);
    if (!u.token && !u.cert) lines.push("    {}");
  }
  return `${lines.join("\n")}\n`;
}

const first = write(
  "a/config",
  kubeconfig({
    current: "dev",
    clusters: [
      { name: "dev-cluster", server: "https://dev.example:6443", ca: "certs/ca.crt" },
      { name: "shared", server: "https://from-first.example:6443", caData: "Zmlyc3Q=" },
    ],
    contexts: [
      { name: "dev", cluster: "dev-cluster", user: "dev-user", namespace: "team-a" },
      { name: "shared", cluster: "shared", user: "dev-user" },
    ],
    users: [{ name: "dev-user", cert: "certs/client.crt", key: "certs/client.key" }],
  }),
);
write("a/certs/ca.crt", "CA PEM");
write("a/certs/client.crt", "CLIENT CERT PEM");
write("a/certs/client.key", "CLIENT KEY PEM");
const second = write(
  "b/config",
  kubeconfig({
    current: "prod",
    clusters: [
      { name: "prod-cluster", server: "https://prod.example:6443", caData: "cHJvZA==" },
      { name: "shared", server: "https://from-second.example:6443", caData: "c2Vjb25k" },
    ],
    contexts: [
      { name: "prod", cluster: "prod-cluster", user: "prod-user" },
      { name: "broken", cluster: "nowhere", user: "prod-user" },
      { name: "anonymous", cluster: "prod-cluster" },
    ],
    users: [{ name: "prod-user", token: "prod-token" }],
  }),
);
const home = join(dir, "home");
write("home/.kube/config", kubeconfig({ current: "", clusters: [], contexts: [], users: [] }));

const caught = (f: () => unknown): Error => {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
};

describe("which kubeconfig files", () => {
  it("takes AMC_KUBECONFIG (--kubeconfig) first, alone", () => {
    expect(kubeconfigFiles({ kubeconfig: second, list: first }, home)).toEqual({
      files: [second],
      from: second,
    });
  });

  it("refuses an AMC_KUBECONFIG that does not exist", () => {
    const error = caught(() => kubeconfigFiles({ kubeconfig: join(dir, "nope") }, home));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`--kubeconfig ${join(dir, "nope")} (AMC_KUBECONFIG): no such file`);
  });

  it("takes KUBECONFIG's list, skipping empty entries and files that do not exist, like kubectl", () => {
    const list = `${first}::${join(dir, "missing")}:${second}`;
    expect(kubeconfigFiles({ list }, home).files).toEqual([first, second]);
  });

  it("refuses a KUBECONFIG none of whose files exists", () => {
    expect(caught(() => kubeconfigFiles({ list: join(dir, "missing") }, home))).toBeInstanceOf(UsageError);
  });

  it("falls back to ~/.kube/config, and says what was looked for when it is not there", () => {
    expect(kubeconfigFiles({}, home).files).toEqual([join(home, ".kube", "config")]);
    const error = caught(() => kubeconfigFiles({}, join(dir, "nobody")));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain("AMC_KUBECONFIG) and KUBECONFIG are unset");
  });
});

describe("merging and choosing the context", () => {
  const merged = loadKubeconfig([first, second]);

  it("lets the first file win names and the current context, as kubectl does", () => {
    expect(merged.currentContext).toBe("dev");
    expect(merged.contexts.map((c) => c.name)).toEqual(["dev", "shared", "prod", "broken", "anonymous"]);
    expect(merged.getCluster("shared")?.server).toBe("https://from-first.example:6443");
    // Relative certificate paths are relative to the file that has them.
    expect(merged.getCluster("dev-cluster")?.caFile).toBe(join(dir, "a", "certs", "ca.crt"));
  });

  it("takes the current context, or AMC_KUBE_CONTEXT (--context)", () => {
    expect(chooseContext(merged, undefined, "test").context.name).toBe("dev");
    const prod = chooseContext(merged, "prod", "test");
    expect(prod.cluster.server).toBe("https://prod.example:6443");
    expect(prod.user?.token).toBe("prod-token");
  });

  it("refuses an unknown context, listing the contexts there are", () => {
    const error = caught(() => chooseContext(merged, "staging", "KUBECONFIG=x"));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      "--context staging (AMC_KUBE_CONTEXT): no such context in KUBECONFIG=x; its contexts: dev, shared, prod, broken, anonymous",
    );
  });

  it("refuses a context whose cluster is not defined", () => {
    expect(caught(() => chooseContext(merged, "broken", "test")).message).toBe(
      'context "broken" names cluster "nowhere", which test does not define',
    );
  });

  it("asks for --context when the kubeconfig sets no current context", () => {
    const empty = loadKubeconfig([join(home, ".kube", "config")]);
    const error = caught(() => chooseContext(empty, undefined, "~/.kube/config"));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      "~/.kube/config sets no current context; name one with --context (AMC_KUBE_CONTEXT); it defines no context",
    );
  });
});

describe("the pinned copy", () => {
  const merged = loadKubeconfig([first, second]);

  it("holds the chosen context alone, with its certificate files inlined", async () => {
    const copy = await writePrivateCopy(pinnedKubeconfig(chooseContext(merged, undefined, "test")), dir);
    try {
      expect(statSync(copy.path).mode & 0o777).toBe(0o600);
      expect(statSync(copy.dir).mode & 0o777).toBe(0o700);
      const loaded = new KubeConfig();
      loaded.loadFromFile(copy.path);
      expect(loaded.currentContext).toBe("dev");
      expect(loaded.contexts).toEqual([
        { name: "dev", cluster: "dev-cluster", user: "dev-user", namespace: "team-a" },
      ]);
      expect(loaded.clusters.map((c) => c.name)).toEqual(["dev-cluster"]);
      const cluster = loaded.getCurrentCluster();
      expect(cluster?.caFile).toBeUndefined();
      expect(Buffer.from(cluster?.caData ?? "", "base64").toString()).toBe("CA PEM");
      const user = loaded.getCurrentUser();
      expect(user?.certFile).toBeUndefined();
      expect(Buffer.from(user?.certData ?? "", "base64").toString()).toBe("CLIENT CERT PEM");
      expect(Buffer.from(user?.keyData ?? "", "base64").toString()).toBe("CLIENT KEY PEM");
    } finally {
      await copy.remove();
    }
    expect(() => statSync(copy.dir)).toThrow();
  });

  it("keeps a context without a user (anonymous) as it is", () => {
    const loaded = new KubeConfig();
    loaded.loadFromString(pinnedKubeconfig(chooseContext(merged, "anonymous", "test")));
    expect(loaded.users).toEqual([]);
    expect(loaded.getCurrentCluster()?.server).toBe("https://prod.example:6443");
  });

  it("says which certificate file of the context cannot be read", () => {
    const lost = loadKubeconfig([first]);
    const choice = chooseContext(lost, "dev", "test");
    const error = caught(() =>
      pinnedKubeconfig(choice, (path) => {
        throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      }),
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(
      `the certificate authority of context "dev", ${join(dir, "a", "certs", "ca.crt")}`,
    );
  });
});
