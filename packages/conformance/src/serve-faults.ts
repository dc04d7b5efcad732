// Serves the fault-injection app (faults.ts) from code, as a user's own entry would, with crashOnUnhandled set:
// `<runtime> serve-faults.ts <node|bun|deno|blocking>` prints "listening on URL" (the CLI has no flag for it yet).

import type { App, ServeOptions, Server } from "@asyncview/core";

const name = process.argv[2] ?? "";
if (!["node", "bun", "deno", "blocking"].includes(name)) throw new Error(`usage: serve-faults.ts node|bun|deno|blocking (got ${JSON.stringify(name)})`);
const options: ServeOptions = { port: 0, crashOnUnhandled: true };
// A computed specifier: each adapter is type-checked by its own runtime's checker, not by this package's tsc.
const adapterModule = `@asyncview/${name}`;
let server: Server;
if (name === "blocking") {
  const { serve } = (await import(adapterModule)) as { serve: (app: URL, options: ServeOptions & { threads: number }) => Promise<Server> };
  server = await serve(new URL("./faults.ts", import.meta.url), { ...options, threads: 2 });
} else {
  const { serve } = (await import(adapterModule)) as { serve: (app: App, options: ServeOptions) => Promise<Server> };
  server = await serve((await import("./faults.ts")).app, options);
}
console.log(`listening on ${server.url}`);
