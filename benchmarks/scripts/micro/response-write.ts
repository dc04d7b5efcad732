// Response writing hot path (Node): the pure parts (headerPairs, toFetchResponse) in-process, and the Node adapter's
// writeResponse on a real node:http server on 127.0.0.1, timed as whole keep-alive round trips next to a bare writeHead/end
// (and an ndjson() of 10 lines next to the same lines written by hand).

import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeResponse } from "@asyncview/node/front";
import { json, ndjson } from "@asyncview/core";
import { headerPairs, toFetchResponse } from "@asyncview/core/adapter";
import type { Case } from "./timing.ts";

const data = { message: "hello", id: 42, tags: ["a", "b", "c"] };
const body = JSON.stringify(data);

const LINES = 10;

async function* lines(): AsyncGenerator<{ i: number }> {
  for (let i = 0; i < LINES; i++) yield { i };
}

function answer(req: IncomingMessage, res: ServerResponse): void {
  switch (req.url) {
    case "/ndjson":
      void writeResponse(res, ndjson(lines()), false);
      return;
    case "/bare-ndjson":
      res.writeHead(200, ["content-type", "application/x-ndjson"]);
      for (let i = 0; i < LINES; i++) res.write(`${JSON.stringify({ i })}\n`);
      res.end();
      return;
    case "/json":
      void writeResponse(res, json(data), false);
      return;
    case "/response":
      void writeResponse(res, new Response(body, { headers: { "content-type": "application/json" } }), false);
      return;
    default: // "/bare": what node:http alone costs for the same answer
      res.writeHead(200, ["content-type", "application/json", "content-length", String(Buffer.byteLength(body))]);
      res.end(body);
  }
}

export interface ResponseBench {
  cases: Case[];
  stop(): Promise<void>;
}

/** Starts the server (127.0.0.1, a free port) and one keep-alive connection; `stop` closes both. */
export async function responseWriteCases(): Promise<ResponseBench> {
  // No idle timeout: the connection waits through the other cases, and a server-side close there races the next request.
  const server = createServer({ keepAliveTimeout: 0 }, answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) => (): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path, agent }, (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => resolve(bytes));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  // Warm the server and the client on all three paths alike, so the first case timed does not pay the JIT for the rest.
  for (let i = 0; i < 1000; i++) for (const path of ["/bare", "/json", "/response", "/bare-ndjson", "/ndjson"]) await get(path)();
  const cases: Case[] = [
    { group: "response", name: "headerPairs(json())", run: () => headerPairs(json(data)) },
    { group: "response", name: "headerPairs(new Response(string))", run: () => headerPairs(new Response(body)) },
    { group: "response", name: "toFetchResponse(json())", run: () => toFetchResponse(json(data)) },
    { group: "response", name: "round trip, bare writeHead/end", run: get("/bare") },
    { group: "response", name: "round trip, writeResponse(json())", run: get("/json") },
    { group: "response", name: "round trip, writeResponse(new Response)", run: get("/response") },
    { group: "response", name: `round trip, bare ${LINES} NDJSON lines`, run: get("/bare-ndjson") },
    { group: "response", name: `round trip, writeResponse(ndjson()) ${LINES} lines`, run: get("/ndjson") },
  ];
  return {
    cases,
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
