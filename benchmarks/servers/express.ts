// Express 5 on Node: the demo's views written the Express way (async handlers, res.json, express.raw, error middleware).
// Usage: node benchmarks/servers/express.ts --port P   prints "listening on http://127.0.0.1:P".

import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import express, { type NextFunction, type Request, type Response } from "express";
import { countPrimes } from "@asyncview/demo/cpu";
import {
  BODY_LIMIT,
  cpuParams,
  fanoutParams,
  closeSignal,
  gatherItems,
  NDJSON_TYPE,
  notFound,
  parseJsonBody,
  problemBody,
  sequentialItems,
  sleepParams,
  sleepUnlessGone,
  streamItems,
  streamParams,
  toProblem,
  tooLarge,
} from "./shared.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

const app = express();
// The same work as every other target: no ETag hashing of each body, no X-Powered-By header (Express's defaults add both).
app.set("etag", false);
app.disable("x-powered-by");
/** The query getter the shared validation reads; Express 5 parses req.query on every access, so read it once. */
function query(req: Request): (name: string) => unknown {
  const parsed = req.query;
  return (name) => parsed[name];
}

app.get("/hello", (_req, res) => {
  res.json({ msg: "Hello, async!" });
});

app.get("/sleep", async (req, res) => {
  const { ms } = sleepParams(query(req));
  await sleepUnlessGone(ms, closeSignal(res));
  res.json({ msg: "Hello, async!", slept: ms });
});

// Any content type, as the demo's readJson: the raw bytes, then the demo's own checks and messages.
app.post("/echo", express.raw({ type: () => true, limit: BODY_LIMIT }), (req, res) => {
  res.json(parseJsonBody(req.body as Buffer | undefined));
});

app.get("/stream", async (req, res) => {
  const { n, ms } = streamParams(query(req));
  res.type(NDJSON_TYPE);
  let gone: AbortSignal | undefined; // made on the first wait, as the demo reads ctx.signal only there
  for await (const item of streamItems(n, ms, (wait) => sleepUnlessGone(wait, (gone ??= closeSignal(res))))) {
    if (res.destroyed) return;
    if (!res.write(JSON.stringify(item) + "\n")) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done).off("close", done);
          resolve();
        };
        res.once("drain", done).once("close", done);
      });
    }
  }
  res.end();
});

app.get("/gather", async (req, res) => {
  const { n, ms } = fanoutParams(query(req));
  res.json(await gatherItems(n, ms, closeSignal(res)));
});

app.get("/sequential", async (req, res) => {
  const { n, ms } = fanoutParams(query(req));
  res.json(await sequentialItems(n, ms, closeSignal(res)));
});

app.get("/cpu", (req, res) => {
  const { n } = cpuParams(query(req));
  res.json({ n, primes: countPrimes(n) });
});

app.use((req, _res, next) => {
  next(notFound(req.method, req.path));
});

// Four parameters make this Express's error handler: thrown, rejected and body-parser errors all land here.
app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const problem = (error as { type?: string }).type === "entity.too.large" ? tooLarge() : toProblem(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (problem.status === 413) res.set("connection", "close");
  res.status(problem.status).json(problemBody(problem));
});

const server = app.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
