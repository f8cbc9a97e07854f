import { createHash } from "node:crypto";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { createServer, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A kubeconfig for `server`, with a token and no TLS verification. */
export function configFor(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return config;
}

/** What Node's fetch (undici) throws when nothing listens on the API server's port. */
export function refused(port: number): TypeError {
  return new TypeError("fetch failed", {
    cause: Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: "ECONNREFUSED" }),
  });
}

/**
 * A fake API server for one resource (pods in namespace "ns"): discovery,
 * list and watch, over plain HTTP. The test pushes watch events, answers a
 * watch from a version with 410, and stops and starts the server on the same
 * port, as a restarting kube-apiserver does.
 */
export interface FakeApiServer {
  url: string;
  /** Every list request, and every watch request's resourceVersion, in order. */
  lists: number;
  watchVersions: (string | undefined)[];
  /** Sends an event to the open watches; the object's resourceVersion is the server's next. */
  push(type: "ADDED" | "MODIFIED" | "DELETED", name: string): void;
  /** Watches from a version below this one are answered with an ERROR event (410 Gone). */
  oldestVersion: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function fakeApiServer(): Promise<FakeApiServer> {
  let version = 10;
  const pods = new Map<string, { metadata: { name: string; namespace: string; resourceVersion: string } }>();
  const pod = (name: string) => ({ metadata: { name, namespace: "ns", resourceVersion: String(version) } });
  pods.set("a", pod("a"));
  const watchers = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const server = createHttpServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const json = (body: unknown) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/api/v1") {
      return json({
        kind: "APIResourceList",
        groupVersion: "v1",
        resources: [{ name: "pods", namespaced: true, kind: "Pod", verbs: ["list", "watch"] }],
      });
    }
    if (url.pathname !== "/api/v1/namespaces/ns/pods") {
      response.writeHead(404).end();
      return;
    }
    if (url.searchParams.get("watch") !== "true") {
      fake.lists++;
      return json({
        kind: "PodList",
        metadata: { resourceVersion: String(version) },
        items: [...pods.values()],
      });
    }
    const from = url.searchParams.get("resourceVersion") ?? undefined;
    fake.watchVersions.push(from);
    response.writeHead(200, { "content-type": "application/json" });
    if (from !== undefined && Number(from) < fake.oldestVersion) {
      const gone = { kind: "Status", status: "Failure", reason: "Expired", code: 410, message: "too old" };
      response.end(`${JSON.stringify({ type: "ERROR", object: gone })}\n`);
      return;
    }
    response.flushHeaders();
    watchers.add(response);
    response.on("close", () => watchers.delete(response));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) =>
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as { port: number }).port;
        resolve();
      }),
    );
  await listen();
  const fake: FakeApiServer = {
    url: `http://127.0.0.1:${port}`,
    lists: 0,
    watchVersions: [],
    oldestVersion: 0,
    push(type, name) {
      version++;
      const object = pod(name);
      if (type === "DELETED") pods.delete(name);
      else pods.set(name, object);
      for (const watcher of watchers) watcher.write(`${JSON.stringify({ type, object })}\n`);
    },
    // Killed: open connections break, new ones are refused.
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    start: listen,
  };
  return fake;
}

/**
 * A fake API server's exec endpoint (WebSocket, channel protocol): it refuses
 * the first `refusals` upgrades with `refusalStatus` (the kubelet's answer
 * while the container is not running), then runs every command by writing
 * `stdout` on channel 1 and a Success status on channel 3.
 */
export async function fakeExecServer(options: {
  refusals: number;
  refusalStatus?: number;
  stdout: string;
}): Promise<{ url: string; upgrades: number; close: () => Promise<void> }> {
  const server = createHttpServer((_request, response) => response.writeHead(404).end());
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  const state = { url: "", upgrades: 0, close };
  server.on("upgrade", (request, socket) => {
    state.upgrades++;
    if (state.upgrades <= options.refusals) {
      const status = options.refusalStatus ?? 500;
      socket.end(`HTTP/1.1 ${status} Internal Server Error\r\ncontent-length: 19\r\n\r\ncontainer not found`);
      return;
    }
    const key = request.headers["sec-websocket-key"] ?? "";
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Accept: ${accept}`,
        "Sec-WebSocket-Protocol: v4.channel.k8s.io",
        "",
        "",
      ].join("\r\n"),
    );
    const frame = (channel: number, text: string) => {
      const payload = Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
      return Buffer.concat([Buffer.from([0x82, payload.length]), payload]); // binary, unmasked, < 126 bytes
    };
    socket.write(frame(1, options.stdout));
    socket.write(frame(3, JSON.stringify({ metadata: {}, status: "Success" })));
    socket.end(Buffer.from([0x88, 0]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return state;
}
