import { writeFile } from "node:fs/promises";
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * For the fault tests: a TCP proxy of the test's own between the suite and
 * the API server, which the test closes for a while. The suite, reaching the
 * API server through it, meets an outage (new connections refused, open ones
 * cut), while the control plane's own components, which do not go through
 * it, keep running: what the suite does is tested apart from how the control
 * plane recovers.
 */
export class ApiProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly target: { host: string; port: number };
  port = 0;

  constructor(apiServer: string) {
    const url = new URL(apiServer);
    this.target = { host: url.hostname, port: Number(url.port || 443) };
  }

  /** Listens (again, on the same port once it has one) and forwards every connection. */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = netConnect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** New connections are refused, open ones cut. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** A copy of the kubeconfig whose current cluster is reached through the proxy, written into `dir`. */
  async kubeconfig(kubeconfigPath: string, dir: string): Promise<string> {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfigPath);
    const current = config.getCurrentCluster();
    if (!current) throw new Error(`${kubeconfigPath} names no current cluster`);
    const through = new KubeConfig();
    through.loadFromOptions({
      clusters: config.clusters.map((c) => (c.name === current.name ? { ...c, server: this.url } : c)),
      users: config.users,
      contexts: config.contexts,
      currentContext: config.currentContext,
    });
    const path = join(dir, `through-proxy-${this.port}.kubeconfig`);
    await writeFile(path, through.exportConfig(), { mode: 0o600 });
    return path;
  }
}
