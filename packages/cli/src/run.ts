// The body of every runtime entry: parse arguments, load the app, serve it, close gracefully on SIGINT/SIGTERM.
// Prints exactly one "listening on http://HOST:PORT" line once the server accepts connections (with --workers, the
// supervisor prints it once every worker listens; the workers print nothing of their own).

import type { App, ServeOptions, Server } from "@asyncview/core";
import { isWorker, reportStartupFailure } from "@asyncview/core/adapter";
import { HELP, parseServeArgs, type ServeArgs, serveOptions, UsageError } from "./args.ts";
import { installChannelLayer } from "./channel-layer.ts";
import { loadApp } from "./load-app.ts";

/** An adapter's `serve`, for adapters that take the App object (node, bun, deno). */
export type ServeFn = (app: App, options: ServeOptions) => Promise<Server>;
/** Starts a server from the parsed arguments. */
export type StartFn = (args: ServeArgs) => Promise<Server>;

/**
 * A StartFn that loads the app module in this process and serves it with `serve`. `--channel-layer`'s layer is
 * installed first, as the default of every App the module creates without its own `channelLayer`.
 */
export function withLoadedApp(serve: ServeFn): StartFn {
  return async (args) => {
    await installChannelLayer(args);
    return serve(await loadApp(args.app), serveOptions(args));
  };
}

export async function runEntry(start: StartFn, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
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
  let server: Server;
  try {
    server = await start(args);
  } catch (error) {
    if (!isWorker(process)) throw error;
    // A worker that cannot start (its app fails to load, a startup hook throws, the port is taken) tells the
    // supervisor, which stops the server and prints the error once.
    await reportStartupFailure(process, error);
    process.exit(1);
  }
  // A worker closes when its supervisor says so (SIGTERM) or a terminal's Ctrl-C reaches it: core's supervisor.ts.
  if (isWorker(process)) return;
  // The first SIGINT/SIGTERM closes gracefully (within the server's shutdown deadline); later ones are ignored, as
  // the same signal often arrives twice: Ctrl-C or `kill -<pgid>` signals the whole process group, and the
  // launcher forwards its copy too. (With `once`, the second copy would kill the process mid-shutdown.)
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: shutting down gracefully`);
    void server.close();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Only now: whoever waits for this line may signal at once, and must find the handlers in place.
  console.log(`listening on ${server.url}`);
  await server.closed;
  process.exit(0);
}
