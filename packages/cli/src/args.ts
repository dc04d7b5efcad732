// Parses `asyncview serve` arguments into one options object shared by the launcher and every runtime entry.
// Unknown flags and bad values are errors that say what is wrong, never silently ignored.

import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import type { AccessLogFormat, ServeOptions } from "@asyncview/core";

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
  /** Processes serving the port (--workers; "auto" counts the cores). */
  workers: number;
  limitMaxRequests: number | undefined;
  limitConcurrency: number | undefined;
  backlog: number | undefined;
  /** Timeouts in ms (the flags take seconds, as uvicorn's do). */
  keepAliveTimeout: number | undefined;
  headersTimeout: number | undefined;
  writeTimeout: number | undefined;
  requestTimeout: number | undefined;
  shutdownTimeout: number | undefined;
  maxHeaderSize: number | undefined;
  proxyHeaders: boolean;
  forwardedAllowIps: string[] | undefined;
  /** The access log's format, or false (--no-access-log). On by default on the command line. */
  accessLog: AccessLogFormat | false;
  /** --channel-layer: the Redis URL rooms go through, shared by every process using it; undefined: rooms in this process. */
  channelLayer: string | undefined;
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

Processes and overload:
  --workers <n|auto>  processes sharing the port, each running the app's startup
                      hooks; a supervisor restarts one that dies; auto = the
                      machine's cores (default: 1)
  --limit-max-requests <n>
                      a worker retires gracefully after n requests and is
                      replaced (default: never)
  --limit-concurrency <n>
                      beyond n requests in flight (open WebSockets included),
                      answer 503 with Retry-After at once, without running the
                      view (default: no limit)
  --backlog <n>       pending-connection queue, where the runtime takes one
                      (default: 2048)

Timeouts and limits:
  --timeout-keep-alive <s>
                      close an idle keep-alive connection after s seconds
                      (default: 5; not on deno, which has no such timeout)
  --timeout-headers <s>
                      close a connection that has not sent its complete request
                      head within s seconds (slowloris) (default: 10; not on
                      deno, which has no such timeout: put a proxy in front)
  --timeout-write <s> drop a client whose response write made no progress for s
                      seconds (default: 30; not on deno)
  --timeout-request <s>
                      per-request deadline for the view to return its response:
                      ctx.signal aborts and the client gets 503 (default: none)
  --timeout-graceful-shutdown <s>
                      how long in-flight requests, then background work and
                      shutdown hooks, get at SIGINT/SIGTERM (default: 10)
  --max-header-size <bytes>
                      largest request head; beyond it, 431 (default: 16384)

Rooms:
  --channel-layer <url>
                      rooms (socket.join, app.publish) through Redis pub/sub at
                      redis://[user:password@]host:port[/db] (or rediss://), so
                      every process and machine using it shares them; node, bun
                      and deno only (default: rooms in this process)

Proxies and logging:
  --proxy-headers     trust X-Forwarded-For/-Proto/-Host and Forwarded from
                      --forwarded-allow-ips peers (default: off)
  --forwarded-allow-ips <ips>
                      comma-separated peer addresses, or "*" (default: 127.0.0.1)
  --no-access-log     no line per request (default: one line per request)
  --log-format <fmt>  access log format: text or json (default: text)
  -h, --help          show this help

SIGINT or SIGTERM closes gracefully: no new connections, in-flight requests get
--timeout-graceful-shutdown (10 s) to finish, open WebSockets get 1001, then
background work drains and shutdown hooks run, within what is left of that
deadline (at least 1 s); a hook still running then is logged at error level and
left behind; exit code 0. Before the server listens (the app module loading, a
startup hook still running), SIGINT or SIGTERM exits 1 at once, saying startup
did not finish. A startup hook that throws: "error: ..." and exit code 1.
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
        workers: { type: "string", default: "1" },
        "limit-max-requests": { type: "string" },
        "limit-concurrency": { type: "string" },
        backlog: { type: "string" },
        "timeout-keep-alive": { type: "string" },
        "timeout-headers": { type: "string" },
        "timeout-write": { type: "string" },
        "timeout-request": { type: "string" },
        "timeout-graceful-shutdown": { type: "string" },
        "max-header-size": { type: "string" },
        "proxy-headers": { type: "boolean", default: false },
        "forwarded-allow-ips": { type: "string" },
        "no-access-log": { type: "boolean", default: false },
        "log-format": { type: "string", default: "text" },
        "channel-layer": { type: "string" },
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
  const logFormat = values["log-format"] as string;
  if (logFormat !== "text" && logFormat !== "json") throw new UsageError(`--log-format must be text or json, got ${JSON.stringify(logFormat)}`);
  const channelLayer = values["channel-layer"] as string | undefined;
  if (channelLayer !== undefined) {
    if (!/^rediss?:\/\/./.test(channelLayer)) throw new UsageError(`--channel-layer must be a redis:// or rediss:// URL, got ${JSON.stringify(channelLayer)}`);
    if (runtime === "blocking") throw new UsageError("--channel-layer applies to node, bun and deno: the blocking baseline's threads each load the app on their own");
  }
  const workers = values.workers === "auto" ? availableParallelism() : integerFlag("workers", values.workers as string, 1, 1024)!;
  return {
    runtime: runtime as RuntimeName,
    port,
    host: values.host as string,
    app,
    threads,
    reload: values.reload as boolean,
    reloadDirs,
    crashOnUnhandled: values["crash-on-unhandled"] as boolean,
    workers,
    limitMaxRequests: integerFlag("limit-max-requests", values["limit-max-requests"] as string | undefined, 1, Number.MAX_SAFE_INTEGER),
    limitConcurrency: integerFlag("limit-concurrency", values["limit-concurrency"] as string | undefined, 1, Number.MAX_SAFE_INTEGER),
    backlog: integerFlag("backlog", values.backlog as string | undefined, 1, 65535),
    keepAliveTimeout: secondsFlag("timeout-keep-alive", values["timeout-keep-alive"] as string | undefined),
    headersTimeout: secondsFlag("timeout-headers", values["timeout-headers"] as string | undefined),
    writeTimeout: secondsFlag("timeout-write", values["timeout-write"] as string | undefined),
    requestTimeout: secondsFlag("timeout-request", values["timeout-request"] as string | undefined),
    shutdownTimeout: secondsFlag("timeout-graceful-shutdown", values["timeout-graceful-shutdown"] as string | undefined),
    maxHeaderSize: integerFlag("max-header-size", values["max-header-size"] as string | undefined, 1024, 1024 * 1024),
    proxyHeaders: values["proxy-headers"] as boolean,
    forwardedAllowIps: forwardedIps(values["forwarded-allow-ips"] as string | undefined),
    accessLog: values["no-access-log"] ? false : logFormat,
    channelLayer,
    help: values.help as boolean,
  };
}

/** An integer flag in min..max, or undefined when absent. */
function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** --forwarded-allow-ips: addresses or "*", each checked (a CIDR range or a name would silently trust nobody). */
function forwardedIps(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const ips = value.split(",").map((ip) => ip.trim()).filter(Boolean);
  // node:net loaded only here: importing it costs a Bun server about 1.2 MiB of RSS for its whole life.
  const { isIP } = process.getBuiltinModule("node:net");
  const bad = ips.find((ip) => ip !== "*" && isIP(ip) === 0);
  if (ips.length === 0 || bad !== undefined) {
    throw new UsageError(`--forwarded-allow-ips takes IP addresses or "*", comma-separated (no CIDR ranges or names), got ${JSON.stringify(bad ?? value)}`);
  }
  return ips;
}

/** A duration flag in seconds (decimals allowed), returned in ms; undefined when absent. */
function secondsFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > 86_400) {
    throw new UsageError(`--${name} must be a number of seconds in (0, 86400], got ${JSON.stringify(value)}`);
  }
  return Math.round(seconds * 1000);
}

/** The ServeOptions the flags ask for (every adapter takes the same ones). */
export function serveOptions(args: ServeArgs): ServeOptions {
  return {
    port: args.port,
    hostname: args.host,
    crashOnUnhandled: args.crashOnUnhandled,
    workers: args.workers,
    limitMaxRequests: args.limitMaxRequests,
    limitConcurrency: args.limitConcurrency,
    backlog: args.backlog,
    keepAliveTimeout: args.keepAliveTimeout,
    headersTimeout: args.headersTimeout,
    writeTimeout: args.writeTimeout,
    requestTimeout: args.requestTimeout,
    shutdownTimeout: args.shutdownTimeout,
    maxHeaderSize: args.maxHeaderSize,
    proxyHeaders: args.proxyHeaders,
    forwardedAllowIps: args.forwardedAllowIps,
    accessLog: args.accessLog,
  };
}
