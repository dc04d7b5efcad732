// Parses `asyncview serve` arguments into one options object shared by the launcher and every runtime entry.
// Unknown flags and bad values are errors that say what is wrong, never silently ignored.

import { parseArgs } from "node:util";

export const RUNTIMES = ["node", "bun", "deno", "blocking"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** The environment variable naming the app module when no argument does (Flask's FLASK_APP); `pnpm serve` sets it to the demo. */
export const APP_ENV = "ASYNCVIEW_APP";

export interface ServeArgs {
  runtime: RuntimeName;
  port: number;
  host: string;
  /** The app module's path as given (resolved later against where the command ran); "" only with --help. */
  app: string;
  /** Worker threads for the blocking baseline; undefined means its default (2 x cores + 1). */
  threads: number | undefined;
  /** Restart when a source file changes (uvicorn's --reload); the launcher watches and restarts (reload.ts). */
  reload: boolean;
  /** Folders --reload watches instead of the app module's (as given, resolved like the app module); repeatable. */
  reloadDirs: string[];
  /** End the process on an error nobody handled instead of logging it and serving on (ServeOptions.crashOnUnhandled). */
  crashOnUnhandled: boolean;
  help: boolean;
}

export const HELP = `Usage: asyncview serve [options] <app module>
       (in the asyncview repository: pnpm serve [options] [app module])

Start an asyncview app on one runtime adapter and print "listening on http://HOST:PORT".
The app runs in the chosen runtime's own process: node and blocking on this Node,
bun and deno on the binary of the "bun" / "deno" npm package installed in your
project, else the one on PATH.

Arguments:
  app module          path to a module whose default (or "app") export is an App,
                      e.g. app.ts (default: $ASYNCVIEW_APP; pnpm serve in the
                      repository sets it to the demo views, apps/demo/src/app.ts)

Options:
  --runtime <name>    adapter to serve with: ${RUNTIMES.join(", ")} (default: node)
  --port <n>          TCP port, 0 for any free port (default: 8000)
  --host <addr>       interface to bind (default: 127.0.0.1)
  --threads <n>       blocking only: worker threads, each holding one request at a
                      time, like gunicorn's gthread --threads (default: 2 x cores
                      + 1, gunicorn's rule for worker processes, not threads)
  --reload            restart the server when a source file (.ts .js .json ...) in
                      the app module's folder changes, subfolders included but not
                      node_modules or dot-folders (uvicorn's --reload); the server
                      gets 3 s to close at a restart or a stop; a server that exits
                      (a file that fails to load) is reported and the next save
                      starts it again; sets ASYNCVIEW_DEBUG=1 (development: the
                      blocking detector is on)
  --reload-dir <dir>  with --reload: watch this folder instead of the app module's;
                      repeat it to watch several
  --crash-on-unhandled
                      exit 1 on an error nobody handled (a rejected promise nobody
                      awaited, a throwing timer callback); by default it is logged
                      with its request id and the server keeps serving
  -h, --help          show this help

SIGINT or SIGTERM closes gracefully: no new connections, in-flight requests get
10 s to finish, then background work drains and shutdown hooks run; exit code 0.
`;

export class UsageError extends Error {}

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        runtime: { type: "string", default: "node" },
        port: { type: "string", default: "8000" },
        host: { type: "string", default: "127.0.0.1" },
        threads: { type: "string" },
        reload: { type: "boolean", default: false },
        "reload-dir": { type: "string", multiple: true, default: [] },
        "crash-on-unhandled": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const runtime = values.runtime as string;
  if (!(RUNTIMES as readonly string[]).includes(runtime)) {
    throw new UsageError(`--runtime must be one of ${RUNTIMES.join(", ")}, got ${JSON.stringify(runtime)}`);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port as string) || port > 65535) {
    throw new UsageError(`--port must be an integer in 0..65535, got ${JSON.stringify(values.port)}`);
  }
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!/^\d+$/.test(values.threads as string) || threads < 1 || threads > 1024) {
      throw new UsageError(`--threads must be an integer in 1..1024, got ${JSON.stringify(values.threads)}`);
    }
    if (runtime !== "blocking") throw new UsageError("--threads applies only to --runtime blocking");
  }
  const reloadDirs = values["reload-dir"] as string[];
  if (reloadDirs.length > 0 && !values.reload) throw new UsageError("--reload-dir applies only with --reload");
  if (positionals.length > 1) throw new UsageError(`expected at most one app module, got ${positionals.join(" ")}`);
  const app = positionals[0] ?? process.env[APP_ENV] ?? "";
  if (!app && !values.help) throw new UsageError(`missing the app module (a path such as app.ts, or set ${APP_ENV})`);
  return {
    runtime: runtime as RuntimeName,
    port,
    host: values.host as string,
    app,
    threads,
    reload: values.reload as boolean,
    reloadDirs,
    crashOnUnhandled: values["crash-on-unhandled"] as boolean,
    help: values.help as boolean,
  };
}
