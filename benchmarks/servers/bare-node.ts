// The limit of Node: a bare node:http server answering the demo's views by hand (no framework, no prebuilt buffer).
// Usage: node benchmarks/servers/bare-node.ts --port P   prints "listening on http://127.0.0.1:P".

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { countPrimes } from "@asyncview/demo/cpu";
import {
  BODY_LIMIT,
  cpuParams,
  fanoutParams,
  closeSignal,
  gatherItems,
  JSON_TYPE,
  NDJSON_TYPE,
  notFound,
  parseJsonBody,
  type Problem,
  problemBody,
  sequentialItems,
  sleepParams,
  streamItems,
  streamParams,
  toProblem,
  tooLarge,
} from "./shared.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function sendProblem(res: ServerResponse, problem: Problem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A refused body is left unread: close the connection after the answer rather than read the rest.
  if (problem.status === 413) res.setHeader("connection", "close");
  sendJson(res, problem.status, JSON.stringify(problemBody(problem)));
}

/** The request body, refused (413) once more than BODY_LIMIT bytes are announced or arrive. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > BODY_LIMIT) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        req.removeAllListeners("data").removeAllListeners("end").pause();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

/** Resolves after `ms`, or at once when the client has gone (so a closed stream stops promptly). */
function pause(res: ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once("close", done);
  });
}

/** Resolves when the socket can take more, or when the client has gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}

/** The demo's n NDJSON lines, one every ms, written as the generator makes them: no content-length, so Node sends them chunked. */
async function stream(res: ServerResponse, n: number, ms: number): Promise<void> {
  res.writeHead(200, { "content-type": NDJSON_TYPE });
  for await (const item of streamItems(n, ms, (wait) => pause(res, wait))) {
    if (res.destroyed) return;
    if (!res.write(JSON.stringify(item) + "\n")) await drained(res);
  }
  res.end();
}

async function route(req: IncomingMessage, res: ServerResponse, url: string, method: string): Promise<void> {
  const mark = url.indexOf("?");
  const path = mark === -1 ? url : url.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? "" : url.slice(mark + 1));
  const get = (name: string) => query.get(name);
  const isGet = method === "GET" || method === "HEAD";
  if (path === "/hello" && isGet) return sendJson(res, 200, JSON.stringify({ msg: "Hello, async!" }));
  if (path === "/sleep" && isGet) {
    const { ms } = sleepParams(get);
    await pause(res, ms);
    return sendJson(res, 200, JSON.stringify({ msg: "Hello, async!", slept: ms }));
  }
  if (path === "/echo" && method === "POST") return sendJson(res, 200, JSON.stringify(parseJsonBody(await readBody(req))));
  if (path === "/stream" && isGet) {
    const { n, ms } = streamParams(get);
    return stream(res, n, ms);
  }
  if (path === "/gather" && isGet) {
    const { n, ms } = fanoutParams(get);
    return sendJson(res, 200, JSON.stringify(await gatherItems(n, ms, closeSignal(res))));
  }
  if (path === "/sequential" && isGet) {
    const { n, ms } = fanoutParams(get);
    return sendJson(res, 200, JSON.stringify(await sequentialItems(n, ms, closeSignal(res))));
  }
  if (path === "/cpu" && isGet) {
    const { n } = cpuParams(get);
    return sendJson(res, 200, JSON.stringify({ n, primes: countPrimes(n) }));
  }
  throw notFound(method, path);
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  const method = req.method ?? "GET";
  // The hot path first, on the raw URL: the cheapest honest dispatch.
  if (url === "/hello" && (method === "GET" || method === "HEAD")) {
    sendJson(res, 200, JSON.stringify({ msg: "Hello, async!" }));
    return;
  }
  route(req, res, url, method).catch((error: unknown) => sendProblem(res, toProblem(error)));
});

server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
