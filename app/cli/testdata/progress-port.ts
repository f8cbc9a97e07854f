import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProgressUpdate } from "../sonobuoy-progress.ts";

/**
 * A stand-in for Sonobuoy's worker: an HTTP server on a free port of
 * 127.0.0.1 that keeps what is POSTed to /progress, in order.
 */
export async function progressPort(): Promise<{
  port: number;
  url: string;
  received: ProgressUpdate[];
  close: () => void;
}> {
  const received: ProgressUpdate[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      if (request.method === "POST" && request.url === "/progress") received.push(JSON.parse(body));
      response.writeHead(request.url === "/progress" ? 200 : 404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { port, url: `http://127.0.0.1:${port}/progress`, received, close: () => server.close() };
}
