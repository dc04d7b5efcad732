// The body of every runtime entry: parse arguments, load the app, serve it, close gracefully on SIGINT/SIGTERM.
// Prints exactly one "listening on http://HOST:PORT" line once the server accepts connections.

import type { App, ServeOptions, Server } from "@asyncview/core";
import { HELP, parseServeArgs, UsageError } from "./args.ts";
import { loadApp } from "./load-app.ts";

export type ServeFn = (app: App, options: ServeOptions) => Promise<Server>;

export async function runEntry(serve: ServeFn, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let args;
  try {
    args = parseServeArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${HELP}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(HELP);
    return;
  }
  const app = await loadApp(args.app);
  const server = await serve(app, { port: args.port, hostname: args.host });
  console.log(`listening on ${server.url}`);
  const stop = (signal: string) => {
    console.error(`${signal}: shutting down gracefully`);
    void server.close();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  await server.closed;
  process.exit(0);
}
