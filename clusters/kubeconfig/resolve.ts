import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { type Cluster, type Context, KubeConfig, type User } from "@kubernetes/client-node";
import { UsageError } from "../../lib/errors.ts";

/**
 * Which kubeconfig and context a run uses, as kubectl decides it:
 * AMC_KUBECONFIG (the CLI's --kubeconfig, one file), else KUBECONFIG (a list
 * of files, merged), else ~/.kube/config; the context AMC_KUBE_CONTEXT (the
 * CLI's --context), else the current context. Then one self-contained copy
 * of that context alone, which test workers load without knowing any of this.
 */

export interface KubeconfigSource {
  files: string[];
  /** What chose the files, for messages. */
  from: string;
}

/**
 * The files kubectl would read: the one named (--kubeconfig, AMC_KUBECONFIG),
 * else KUBECONFIG's list, else ~/.kube/config.
 */
export function kubeconfigFiles(
  where: { kubeconfig?: string | undefined; list?: string | undefined },
  home: string = homedir(),
  exists: (path: string) => boolean = existsSync,
): KubeconfigSource {
  const explicit = where.kubeconfig;
  if (explicit) {
    if (!exists(explicit)) throw new UsageError(`--kubeconfig ${explicit} (AMC_KUBECONFIG): no such file`);
    return { files: [explicit], from: explicit };
  }
  const list = where.list;
  if (list) {
    // kubectl skips the files of KUBECONFIG that do not exist; it fails only when none does.
    const files = list.split(delimiter).filter((file) => file && exists(file));
    if (files.length === 0) throw new UsageError(`KUBECONFIG=${list}: none of its files exists`);
    return { files, from: `KUBECONFIG=${list}` };
  }
  const fallback = join(home, ".kube", "config");
  if (!exists(fallback)) {
    throw new UsageError(
      `no kubeconfig: --kubeconfig (AMC_KUBECONFIG) and KUBECONFIG are unset, and ${fallback} does not exist`,
    );
  }
  return { files: [fallback], from: fallback };
}

/**
 * Loads and merges the files with kubectl's rules: the first file to define
 * a cluster, user or context of some name wins, and so does the first
 * current-context. (KubeConfig.loadFromDefault lets later files win the
 * current context and throws on a name defined twice.) Relative paths in a
 * file are taken relative to that file.
 */
export function loadKubeconfig(files: readonly string[]): KubeConfig {
  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: Context[] = [];
  let currentContext = "";
  const addNew = <T extends { name: string }>(into: T[], from: readonly T[]) => {
    for (const item of from) if (!into.some((known) => known.name === item.name)) into.push(item);
  };
  for (const file of files) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (error) {
      throw new UsageError(`kubeconfig ${file} cannot be read: ${(error as Error).message}`);
    }
    addNew(clusters, one.clusters);
    addNew(users, one.users);
    addNew(contexts, one.contexts);
    currentContext ||= one.currentContext ?? "";
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters, users, contexts, currentContext });
  return merged;
}

export interface ContextChoice {
  context: Context;
  cluster: Cluster;
  /** Absent for a context without a user (anonymous). */
  user?: User;
}

export function chooseContext(config: KubeConfig, wanted: string | undefined, from: string): ContextChoice {
  const names = config.contexts.map((c) => c.name);
  const known = names.length > 0 ? `its contexts: ${names.join(", ")}` : "it defines no context";
  const name = wanted || config.currentContext;
  if (!name) {
    throw new UsageError(
      `${from} sets no current context; name one with --context (AMC_KUBE_CONTEXT); ${known}`,
    );
  }
  const context = config.getContextObject(name);
  if (!context) {
    const how = wanted ? `--context ${wanted} (AMC_KUBE_CONTEXT)` : `the current context "${name}"`;
    throw new UsageError(`${how}: no such context in ${from}; ${known}`);
  }
  const cluster = config.getCluster(context.cluster);
  if (!cluster) {
    throw new UsageError(
      `context "${name}" names cluster "${context.cluster}", which ${from} does not define`,
    );
  }
  const user = context.user ? config.getUser(context.user) : undefined;
  if (context.user && !user) {
    throw new UsageError(`context "${name}" names user "${context.user}", which ${from} does not define`);
  }
  return { context, cluster, ...(user ? { user } : {}) };
}

/**
 * A kubeconfig of the chosen context alone, with the certificate files it
 * refers to inlined, so that it means the same wherever it is loaded from.
 */
export function pinnedKubeconfig(
  choice: ContextChoice,
  read: (path: string) => Buffer = readFileSync,
): string {
  const inline = (what: string, file: string | undefined, data: string | undefined) => {
    if (data || !file) return data;
    try {
      return read(file).toString("base64");
    } catch (error) {
      throw new UsageError(
        `the ${what} of context "${choice.context.name}", ${file}, cannot be read: ${(error as Error).message}`,
      );
    }
  };
  const { caFile, ...cluster } = choice.cluster;
  const caData = inline("certificate authority", caFile, cluster.caData);
  const users: User[] = [];
  if (choice.user) {
    const { certFile, keyFile, ...user } = choice.user;
    const certData = inline("client certificate", certFile, user.certData);
    const keyData = inline("client key", keyFile, user.keyData);
    users.push({ ...user, ...(certData ? { certData } : {}), ...(keyData ? { keyData } : {}) });
  }
  const pinned = new KubeConfig();
  pinned.loadFromOptions({
    clusters: [{ ...cluster, ...(caData ? { caData } : {}) }],
    users,
    contexts: [choice.context],
    currentContext: choice.context.name,
  });
  return `${pinned.exportConfig()}\n`;
}
