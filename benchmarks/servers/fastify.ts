// Fastify on Node: the demo's views written the Fastify way (async handlers returning objects, a content-type
// parser, a Readable for the stream, setErrorHandler). Usage: node benchmarks/servers/fastify.ts --port P.

import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import Fastify, { type FastifyRequest } from "fastify";
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

// forceCloseConnections: close() drops open connections too, so SIGTERM exits at once.
const app = Fastify({ bodyLimit: BODY_LIMIT, forceCloseConnections: true });

function query(request: FastifyRequest): (name: string) => unknown {
  const parsed = request.query as Record<string, unknown>;
  return (name) => parsed[name];
}

// Any content type, as the demo's readJson: the raw bytes, then the demo's own checks and messages.
app.removeAllContentTypeParsers();
app.addContentTypeParser("*", { parseAs: "buffer" }, async (_request: FastifyRequest, body: Buffer) => parseJsonBody(body));

app.get("/hello", async () => ({ msg: "Hello, async!" }));

app.get("/sleep", async (request, reply) => {
  const { ms } = sleepParams(query(request));
  await sleepUnlessGone(ms, closeSignal(reply.raw));
  return { msg: "Hello, async!", slept: ms };
});

// A bodiless POST (no content type, no length) reaches the handler without the parser: the demo calls it empty.
app.post("/echo", async (request, reply) => {
  const body = request.body === undefined ? parseJsonBody(undefined) : request.body;
  return reply.type("application/json; charset=utf-8").send(JSON.stringify(body));
});

/** The demo's lines as the text a Readable carries (Fastify sends a byte stream, not objects). */
async function* ndjsonLines(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const item of items) yield JSON.stringify(item) + "\n";
}

app.get("/stream", async (request, reply) => {
  const { n, ms } = streamParams(query(request));
  let gone: AbortSignal | undefined; // made on the first wait, as the demo reads ctx.signal only there
  const items = streamItems(n, ms, (wait) => sleepUnlessGone(wait, (gone ??= closeSignal(reply.raw))));
  return reply.type(NDJSON_TYPE).send(Readable.from(ndjsonLines(items), { objectMode: false }));
});

app.get("/gather", async (request, reply) => {
  const { n, ms } = fanoutParams(query(request));
  return gatherItems(n, ms, closeSignal(reply.raw));
});

app.get("/sequential", async (request, reply) => {
  const { n, ms } = fanoutParams(query(request));
  return sequentialItems(n, ms, closeSignal(reply.raw));
});

app.get("/cpu", async (request) => {
  const { n } = cpuParams(query(request));
  return { n, primes: countPrimes(n) };
});

app.setNotFoundHandler(async (request, reply) => {
  const mark = request.url.indexOf("?");
  const problem = notFound(request.method, mark === -1 ? request.url : request.url.slice(0, mark));
  return reply.code(404).send(problemBody(problem));
});

app.setErrorHandler(async (error, _request, reply) => {
  const code = (error as { code?: string }).code;
  const problem = code === "FST_ERR_CTP_BODY_TOO_LARGE" ? tooLarge() : toProblem(error);
  if (problem.status === 413) reply.header("connection", "close");
  return reply.code(problem.status).send(problemBody(problem));
});

const address = await app.listen({ port: Number(values.port), host: "127.0.0.1" });
console.log(`listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
