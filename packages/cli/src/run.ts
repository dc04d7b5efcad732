// The body of every runtime entry: parse arguments, load the app, serve it, close gracefully on SIGINT/SIGTERM.
// Prints exactly one "listening on http://HOST:PORT" line once the server accepts connections (with --workers, the
// supervisor prints it once every worker listens; the workers print nothing of their own).

import type { App, ServeOptions, Server } from "@asyncview/core";
import { errorMessage, isWorker, reportStartupFailure, supervises } from "@asyncview/core/adapter";
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

/**
 * The whole life of a runtime entry; it never rejects. A failure to start (the module does not load, a startup hook
 * throws, the port is taken) prints `error: ...` and exits 1; a SIGINT/SIGTERM before the server listens exits 1 too,
 * saying startup did not finish; once it listens, the first SIGINT/SIGTERM closes gracefully and the process exits 0.
 */
export async function runEntry(start: StartFn, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    await serveUntilClosed(start, argv);
  } catch (error) {
    console.error(`error: ${errorMessage(error)}`);
    process.exit(1);
  }
}

async function serveUntilClosed(start: StartFn, argv: readonly string[]): Promise<void> {
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
  // The first SIGINT/SIGTERM closes gracefully (within the server's shutdown deadline); later ones are ignored, as
  // the same signal often arrives twice: Ctrl-C or `kill -<pgid>` signals the whole process group, and the
  // launcher forwards its copy too. (With `once`, the second copy would kill the process mid-shutdown.)
  let server: Server | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (server === undefined) {
      // Startup waits for its hooks however long they take; a signal meanwhile gives up on it.
      const where = "the app module was loading or a startup hook had not settled";
      console.error(`error: ${signal} before the server started: startup did not finish (${where}); exiting with code 1`);
      process.exit(1);
    }
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: shutting down gracefully`);
    void server.close();
  };
  // A worker's signals are its supervisor's (core's supervisor.ts), and a supervisor handles its own while its workers
  // start; a single server handles them from now, its startup included.
  const handleSignals = () => {
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  };
  const single = !isWorker(process) && !supervises(args);
  if (single) handleSignals();
  try {
    server = await start(args);
  } catch (error) {
    if (!isWorker(process)) throw error;
    // A worker that cannot start (its app fails to load, a startup hook throws, the port is taken) tells the
    // supervisor, which stops the server and prints the error once.
    await reportStartupFailure(process, error);
    process.exit(1);
  }
  if (isWorker(process)) return;
  if (!single) handleSignals();
  // Only now: whoever waits for this line may signal at once, and must find the handlers in place.
  console.log(`listening on ${server.url}`);
  await server.closed;
  process.exit(0);
}
