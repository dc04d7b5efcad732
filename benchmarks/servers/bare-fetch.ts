// The bare Fetch-API handler behind bare-bun.ts and bare-deno.ts: the demo's views by hand on Request and
// Response (no framework, no prebuilt Response), routed on the raw path. Waits end when the client leaves.

import { countPrimes } from "@asyncview/demo/cpu";
import {
  cpuParams,
  fanoutParams,
  gatherItems,
  JSON_TYPE,
  NDJSON_TYPE,
  notFound,
  parseJsonBody,
  problemBody,
  readLimited,
  sequentialItems,
  sleepParams,
  sleepUnlessGone,
  streamItems,
  streamParams,
  toProblem,
} from "./shared.ts";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE } });
}

/** Bun's own fastest stream, as asyncview on Bun writes one (fairness rule 4): Bun calls `pull` once, the lines are written as strings. */
const direct = "Bun" in globalThis;

interface DirectController {
  write(chunk: string): number | Promise<number>;
  close(): void;
}

/** The demo's n NDJSON lines, one every ms, pulled from the generator as the client reads: a ReadableStream body goes out chunked. */
function ndjson(n: number, ms: number, request: Request): Response {
  const encoder = new TextEncoder();
  // request.signal is read on the first wait, as the demo reads ctx.signal.
  const items = streamItems(n, ms, (wait) => sleepUnlessGone(wait, request.signal));
  let cancelled = false;
  if (direct) {
    const source = {
      type: "direct",
      async pull(controller: DirectController) {
        for (;;) {
          const next = await items.next();
          if (cancelled) return;
          if (next.done) return controller.close();
          const written = controller.write(JSON.stringify(next.value) + "\n");
          if (typeof written !== "number") await written; // the client is behind
        }
      },
      async cancel() {
        cancelled = true;
        await items.return(undefined);
      },
    };
    return new Response(new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>), { headers: { "content-type": NDJSON_TYPE } });
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await items.next();
      if (cancelled) return;
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(JSON.stringify(next.value) + "\n"));
    },
    async cancel() {
      cancelled = true;
      await items.return(undefined);
    },
  });
  return new Response(body, { headers: { "content-type": NDJSON_TYPE } });
}

async function route(request: Request, path: string): Promise<Response> {
  const method = request.method;
  const mark = path.indexOf("?");
  const pathname = mark === -1 ? path : path.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? "" : path.slice(mark + 1));
  const get = (name: string) => query.get(name);
  const isGet = method === "GET" || method === "HEAD";
  if (pathname === "/hello" && isGet) return json({ msg: "Hello, async!" });
  if (pathname === "/sleep" && isGet) {
    const { ms } = sleepParams(get);
    await sleepUnlessGone(ms, request.signal);
    return json({ msg: "Hello, async!", slept: ms });
  }
  if (pathname === "/echo" && method === "POST") return json(parseJsonBody(await readLimited(request)));
  if (pathname === "/stream" && isGet) {
    const { n, ms } = streamParams(get);
    return ndjson(n, ms, request);
  }
  if (pathname === "/gather" && isGet) {
    const { n, ms } = fanoutParams(get);
    return json(await gatherItems(n, ms, request.signal));
  }
  if (pathname === "/sequential" && isGet) {
    const { n, ms } = fanoutParams(get);
    return json(await sequentialItems(n, ms, request.signal));
  }
  if (pathname === "/cpu" && isGet) {
    const { n } = cpuParams(get);
    return json({ n, primes: countPrimes(n) });
  }
  throw notFound(method, pathname);
}

/** The fetch handler Bun.serve and Deno.serve call. */
export function bareHandler(): (request: Request) => Response | Promise<Response> {
  return (request) => {
    // The hot path first, on the raw path (no URL parsing): the cheapest honest dispatch.
    const path = request.url.slice(request.url.indexOf("/", 8));
    if (path === "/hello" && request.method === "GET") return json({ msg: "Hello, async!" });
    return route(request, path).catch((error: unknown) => {
      const problem = toProblem(error);
      return json(problemBody(problem), problem.status);
    });
  };
}
