// Uses an adapter's serve() from code, inside that adapter's own runtime, as its README shows: port 0, the handle's
// url and port, lifespan hooks, native Fetch objects, ctx.remoteAddress, a busy port, close through `signal`.
// Run as `<runtime> api-check.ts <node|bun|deno>`; prints one JSON line of findings for the test to judge.

import { App, json, type ServeOptions, type Server } from "@asyncview/core";

type Serve = (app: App, options: ServeOptions) => Promise<Server>;

const name = process.argv[2] ?? "";
if (!["node", "bun", "deno"].includes(name)) throw new Error(`usage: api-check.ts node|bun|deno (got ${JSON.stringify(name)})`);
// A computed specifier: each adapter is type-checked by its own runtime's checker, not by this package's tsc.
const adapterModule = `@asyncview/${name}`;
const { serve } = (await import(adapterModule)) as { serve: Serve };

const hooks: string[] = [];
const app = new App()
  .onStartup(() => void hooks.push("startup"))
  .onShutdown(() => void hooks.push("shutdown"))
  .get("/native", (request, ctx) =>
    json({
      nativeRequest: Object.getPrototypeOf(request) === Request.prototype,
      runtime: ctx.runtime,
      remoteAddress: ctx.remoteAddress ?? null,
    }),
  );

const stop = new AbortController();
const server = await serve(app, { port: 0, signal: stop.signal });
const hooksAtListen = [...hooks];
const answer = (await (await fetch(`${server.url}/native`)).json()) as Record<string, unknown>;

let busyPortError = "";
try {
  const second = await serve(new App(), { port: server.port });
  await second.close();
} catch (error) {
  busyPortError = (error as Error).message;
}

stop.abort();
await server.closed;
let refusedAfterClose = false;
try {
  await fetch(`${server.url}/native`);
} catch {
  refusedAfterClose = true;
}

console.log(
  JSON.stringify({ runtime: server.runtime, url: server.url, port: server.port, hooksAtListen, hooks, answer, busyPortError, refusedAfterClose }),
);
process.exit(0);
