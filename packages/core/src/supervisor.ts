// Serving from several processes (`workers`, `limitMaxRequests`): a supervisor that runs copies of this process sharing
// one port (SO_REUSEPORT), restarts one that dies (with a back-off), replaces one that retires, and stops them all.

import { ABORT_GRACE_MS } from "./lifecycle.ts";
import { consoleLogger } from "./logger.ts";
import { errorMessage } from "./thrown.ts";
import { WORKER_ENV } from "./runtime.ts";
import { DEFAULT_HOSTNAME, DEFAULT_PORT, DEFAULT_SHUTDOWN_TIMEOUT, formatUrl, type ServeOptions, type Server } from "./server.ts";
import type { Logger, Runtime } from "./types.ts";

/** The port a worker binds (the one the first worker got when the port asked for was 0). */
const WORKER_PORT_ENV = "ASYNCVIEW_WORKER_PORT";
/**
 * The runtime's own flags for the workers' command line, as a JSON array (e.g. `["run","--allow-all"]` on Deno), for a
 * runtime that cannot tell a process the flags it was started with. The CLI sets it; unset, the adapter's default.
 */
export const RUNTIME_FLAGS_ENV = "ASYNCVIEW_RUNTIME_FLAGS";

/** A worker that dies after living less than this is restarted after a growing delay (100 ms, doubling, 10 s at most). */
const STABLE_MS = 10_000;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 10_000;
/** Past the shutdown deadline (and its grace), how long the supervisor waits for a worker before killing it. */
const EXIT_MARGIN_MS = 5_000;
/** How long a worker that exited before it was ready is given for its report (why its startup failed) to arrive. */
const LAST_REPORT_MS = 500;

type StopSignal = "SIGINT" | "SIGTERM";

/** The part of Node's `process` (also Bun's, and Deno's `node:process`) the supervisor and its workers use. */
export interface ProcessApi {
  readonly pid: number;
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly connected?: boolean;
  send?(message: unknown, callback: (error: Error | null) => void): boolean;
  disconnect?(): void;
  on(event: StopSignal | "disconnect", listener: () => void): unknown;
  on(event: "message", listener: (message: unknown) => void): unknown;
  off(event: StopSignal | "disconnect", listener: () => void): unknown;
  off(event: "message", listener: (message: unknown) => void): unknown;
  exit(code: number): never;
}

/** The part of a `node:child_process` child the supervisor uses. */
export interface ChildApi {
  readonly pid?: number | undefined;
  readonly connected: boolean;
  send(message: unknown): boolean;
  kill(signal: "SIGKILL"): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "exit", listener: (code: number | null, signal: string | null) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** The `spawn` of the child_process module (Node, Bun and Deno all have it), as the supervisor calls it. */
export type SpawnFn = (
  command: string,
  args: readonly string[],
  options: { stdio: ["inherit", "inherit", "inherit", "ipc"]; env: Record<string, string | undefined> },
) => ChildApi;

/** What an adapter hands the supervisor: its runtime's process and spawner, and flags it cannot read back. */
export interface ProcessHost {
  readonly runtime: Runtime;
  /** This process (Node's `process`; `node:process` on Deno). */
  readonly current: ProcessApi;
  readonly spawn: SpawnFn;
  /** The runtime flags a worker is started with when RUNTIME_FLAGS_ENV is unset; default `process.execArgv`. */
  readonly runtimeFlags?: readonly string[];
}

/** How the adapter's own server listens in this process. */
export interface ListenPlan {
  readonly port: number;
  /** True in a worker: share the port with the other workers (SO_REUSEPORT). */
  readonly reusePort: boolean;
  /** Call once per request when defined (a worker with `limitMaxRequests` counts them to retire). */
  readonly onRequest: (() => void) | undefined;
}

/** Supervisor to worker, over the IPC channel: close gracefully (as at SIGTERM). */
const STOP = { asyncview: "stop" } as const;

/** Worker to supervisor, over the IPC channel. */
type Report = { asyncview: "ready"; port: number } | { asyncview: "retire"; requests: number } | { asyncview: "failed"; message: string };

function isReport(message: unknown): message is Report {
  return typeof message === "object" && message !== null && typeof (message as { asyncview?: unknown }).asyncview === "string";
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
    throw new RangeError(`${name} must be an integer of at least 1, got ${String(value)}`);
  }
}

/**
 * Serves from this process or several. In a worker (WORKER_ENV set) it starts the adapter's server on the shared port
 * and reports to the supervisor; in a process asked for several workers, or for `limitMaxRequests`, it becomes the
 * supervisor and resolves once every worker listens; otherwise it just starts the server. `start` is the adapter's
 * single-process serve, listening as `plan` says.
 */
export async function serveWorkers<S extends Server>(
  options: ServeOptions,
  host: ProcessHost,
  start: (plan: ListenPlan) => Promise<S>,
): Promise<S | Server> {
  positiveInteger("workers", options.workers);
  positiveInteger("limitMaxRequests", options.limitMaxRequests);
  // WORKER_ENV's presence makes this process a worker.
  if (isWorker(host.current)) return runWorker(options, host.current, start);
  if (supervises(options)) return supervise(options, host);
  return start({ port: options.port ?? DEFAULT_PORT, reusePort: false, onRequest: undefined });
}

/** True when `serveWorkers` with `options` makes this process a supervisor (several workers, or limitMaxRequests). */
export function supervises(options: Pick<ServeOptions, "workers" | "limitMaxRequests">): boolean {
  return (options.workers ?? 1) > 1 || options.limitMaxRequests !== undefined;
}

/** True in a process the supervisor started. */
export function isWorker(proc: Pick<ProcessApi, "env">): boolean {
  return proc.env[WORKER_ENV] !== undefined;
}

/** Sends `report` to the supervisor and resolves once it left (or at once without a channel). */
function report(proc: ProcessApi, message: Report): Promise<void> {
  return new Promise((resolve) => {
    if (proc.send === undefined || proc.connected === false) return resolve();
    const timer = setTimeout(resolve, 1000);
    proc.send(message, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** In a worker: tells the supervisor its startup failed (the supervisor prints it once and stops the server). */
export function reportStartupFailure(proc: ProcessApi, error: unknown): Promise<void> {
  return report(proc, { asyncview: "failed", message: errorMessage(error) });
}

async function runWorker<S extends Server>(options: ServeOptions, proc: ProcessApi, start: (plan: ListenPlan) => Promise<S>): Promise<S> {
  const limit = options.limitMaxRequests;
  let served = 0;
  const onRequest =
    limit === undefined
      ? undefined
      : () => {
          // Reported once; the supervisor starts the replacement, then asks this one to close (its stop message).
          if (++served === limit) void report(proc, { asyncview: "retire", requests: served });
        };
  let server: S;
  try {
    server = await start({ port: Number(proc.env[WORKER_PORT_ENV] ?? options.port ?? DEFAULT_PORT), reusePort: true, onRequest });
  } catch (error) {
    await reportStartupFailure(proc, error);
    throw error;
  }
  // The supervisor's stop message, SIGINT or SIGTERM (a terminal's Ctrl-C reaches every process of the group) close
  // gracefully; so does losing the supervisor (its IPC channel closes), so one killed outright leaves no worker behind.
  const stop = () => void server.close();
  const onMessage = (message: unknown) => {
    if (typeof message === "object" && message !== null && (message as { asyncview?: unknown }).asyncview === STOP.asyncview) stop();
  };
  const events = ["SIGINT", "SIGTERM", "disconnect"] as const;
  for (const event of events) proc.on(event, stop);
  proc.on("message", onMessage);
  void server.closed.then(() => {
    for (const event of events) proc.off(event, stop);
    proc.off("message", onMessage);
    // The worker's life is its server's: once closed, end the process (whatever else the app left open).
    setTimeout(() => proc.exit(0), 0);
  });
  await report(proc, { asyncview: "ready", port: server.port });
  return server;
}

/** One worker process, as the supervisor sees it. */
interface Worker {
  readonly slot: number;
  readonly child: ChildApi;
  readonly pid: number | undefined;
  readonly started: number;
  /** Settles when it listens (with its port), or rejects when its startup failed or it exited first. */
  readonly ready: Promise<number>;
  /** Its startup failed (it said so): the whole server stops. */
  failed?: Error;
  isReady: boolean;
  /** Asked to close because a replacement took its place (a retirement, not a crash). */
  retired: boolean;
  /** Killed while still starting, at a stop: its exit says nothing about the server. */
  abandoned: boolean;
  /** With limitMaxRequests: the worker this one replaces, and the one replacing this one. */
  predecessor?: Worker;
  successor?: Worker;
}

function describe(worker: Worker): string {
  return `worker ${worker.slot} (pid ${worker.pid ?? "?"})`;
}

function exitText(code: number | null, signal: string | null): string {
  return signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
}

function supervise(options: ServeOptions, host: ProcessHost, logger: Logger = consoleLogger): Promise<Server> {
  const proc = host.current;
  const count = options.workers ?? 1;
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  let port = options.port ?? DEFAULT_PORT;
  const given = proc.env[RUNTIME_FLAGS_ENV];
  const flags = given !== undefined ? (JSON.parse(given) as string[]) : (host.runtimeFlags ?? proc.execArgv);
  const args = [...flags, ...proc.argv.slice(1)];

  const live = new Set<Worker>();
  const crashes: number[] = Array.from({ length: count }, () => 0);
  let stopping = false;
  /** Why the server is stopping with an error (a worker's failed startup, an unclean exit at shutdown). */
  let failure: Error | undefined;
  let allExited: (() => void) | undefined;

  const spawnWorker = (slot: number): Worker => {
    const child = host.spawn(proc.execPath, args, {
      stdio: ["inherit", "inherit", "inherit", "ipc"],
      env: { ...proc.env, [WORKER_ENV]: String(slot), [WORKER_PORT_ENV]: String(port) },
    });
    let markReady!: (port: number) => void;
    let markFailed!: (error: Error) => void;
    const ready = new Promise<number>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {}); // awaited where it matters; an unawaited rejection must not count as unhandled
    const worker: Worker = { slot, child, pid: child.pid, started: Date.now(), ready, isReady: false, retired: false, abandoned: false };
    live.add(worker);
    /** Handles the worker's exit, once: set when the exit is seen. */
    let settleExit: (() => void) | undefined;
    child.on("message", (message) => {
      if (!isReport(message)) return;
      if (message.asyncview === "ready") {
        worker.isReady = true;
        markReady(message.port);
        settleExit?.();
      } else if (message.asyncview === "failed" && worker.failed === undefined && !worker.isReady) {
        worker.failed = new Error(`${describe(worker)} failed to start: ${message.message}`);
        markFailed(worker.failed);
        fail(worker.failed);
        settleExit?.();
      } else if (message.asyncview === "retire") {
        retire(worker, message.requests);
      }
    });
    child.on("error", (error) => {
      worker.failed ??= new Error(`${describe(worker)} could not be started (${proc.execPath}): ${error.message}`);
      markFailed(worker.failed);
      fail(worker.failed);
    });
    child.on("exit", (code, signal) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      settleExit = () => {
        settleExit = undefined;
        clearTimeout(timer);
        live.delete(worker);
        markFailed(worker.failed ?? new Error(`${describe(worker)} ${exitText(code, signal)} before it was ready`));
        exited(worker, code, signal);
      };
      // Deno can deliver the report a worker sent just before exiting after its exit (seen under load, a tenth of a
      // millisecond later): one that exits before it was ready is given a moment for it, or its error would be lost.
      // Not one this supervisor stopped itself: it has nothing left to say.
      if (worker.isReady || worker.failed !== undefined || worker.abandoned || stopping) settleExit();
      else timer = setTimeout(settleExit, LAST_REPORT_MS);
    });
    return worker;
  };

  const exited = (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) {
      if ((code !== 0 || signal !== null) && !worker.abandoned && worker.failed === undefined && failure === undefined) {
        failure = new Error(`${describe(worker)} ${exitText(code, signal)} while shutting down`);
      }
      if (live.size === 0) allExited?.();
      return;
    }
    if (worker.retired) {
      if (code === 0 && signal === null) logger.info(`${describe(worker)} retired`);
      else logger.warn(`${describe(worker)} ${exitText(code, signal)} while retiring; its replacement serves`);
      return;
    }
    if (!worker.isReady && worker.failed === undefined && !started) return; // the startup's own wait reports it
    crashes[worker.slot] = Date.now() - worker.started >= STABLE_MS ? 0 : crashes[worker.slot]! + 1;
    const delay = crashes[worker.slot] === 0 ? 0 : Math.min(BACKOFF_FIRST_MS * 2 ** (crashes[worker.slot]! - 1), BACKOFF_MAX_MS);
    // A retiring worker whose replacement is on its way needs no other; a replacement that died retries the retirement.
    if (worker.successor !== undefined && live.has(worker.successor)) {
      logger.error(`${describe(worker)} ${exitText(code, signal)} unexpectedly while retiring; its replacement is starting`);
      return;
    }
    logger.error(`${describe(worker)} ${exitText(code, signal)} unexpectedly; restarting it in ${delay} ms`);
    setTimeout(() => {
      if (stopping) return;
      const retiring = worker.predecessor;
      if (retiring !== undefined && live.has(retiring)) replace(retiring);
      else spawnWorker(worker.slot);
    }, delay);
  };

  /**
   * Asks a worker to close gracefully. A message rather than SIGTERM: Deno's node:child_process reports a child it
   * signalled as killed by that signal even when it exited 0, which would hide an unclean exit from a clean one.
   * One still starting (no handler yet) is killed: it serves nothing.
   */
  const stopWorker = (worker: Worker) => {
    if (worker.isReady && worker.child.connected) worker.child.send(STOP);
    else {
      worker.abandoned = true;
      worker.child.kill("SIGKILL");
    }
  };

  const retire = (worker: Worker, requests: number) => {
    if (stopping || worker.retired) return;
    logger.info(`${describe(worker)} served ${requests} requests (limitMaxRequests); starting its replacement, then it retires`);
    replace(worker);
  };

  /** Starts `worker`'s replacement; once that one listens, `worker` closes gracefully. */
  const replace = (worker: Worker) => {
    const next = spawnWorker(worker.slot);
    next.predecessor = worker;
    worker.successor = next;
    // The old one serves until the new one listens, so the port never goes unanswered.
    next.ready.then(
      () => {
        next.predecessor = undefined; // no chain of past workers kept alive
        worker.retired = true;
        stopWorker(worker);
      },
      () => {}, // a replacement that fails its startup stops the server (fail); one that dies is restarted (exited)
    );
  };

  let resolveClosed!: () => void;
  let rejectClosed!: (error: Error) => void;
  const closed = new Promise<void>((resolve, reject) => {
    resolveClosed = resolve;
    rejectClosed = reject;
  });
  closed.catch(() => {}); // close() hands the same error to whoever awaits it
  let closing: Promise<void> | undefined;
  let started = false;

  /** Stops every worker (SIGTERM: each closes gracefully), then settles `closed`. */
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      const everyoneGone = new Promise<void>((resolve) => (allExited = resolve));
      if (live.size === 0) allExited?.();
      for (const worker of live) stopWorker(worker);
      const patience = (options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT) + ABORT_GRACE_MS + EXIT_MARGIN_MS;
      const deadline = setTimeout(() => {
        for (const worker of live) {
          failure ??= new Error(`${describe(worker)} did not exit within ${patience} ms of being asked to; killed`);
          worker.child.kill("SIGKILL");
        }
      }, patience);
      await everyoneGone;
      clearTimeout(deadline);
      for (const signal of signals) proc.off(signal, onSignal);
      if (failure !== undefined) {
        rejectClosed(failure);
        throw failure;
      }
      resolveClosed();
    })();
    return closing;
  };

  const fail = (error: Error) => {
    if (stopping) return;
    failure = error;
    void close().catch(() => {});
  };

  // The supervisor forwards SIGINT and SIGTERM to its workers, by stopping them all gracefully.
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => void close().catch(() => {});
  for (const signal of signals) proc.on(signal, onSignal);
  options.signal?.addEventListener("abort", onSignal, { once: true });

  return (async () => {
    try {
      // The first worker binds the port (a random one for port 0); the others then join it on that port.
      port = await spawnWorker(0).ready;
      await Promise.all(Array.from({ length: count - 1 }, (_, i) => spawnWorker(i + 1).ready));
    } catch (error) {
      failure ??= error as Error;
      await close().catch(() => {});
      throw failure;
    }
    if (stopping) {
      await closing?.catch(() => {});
      throw failure ?? new Error("the server was stopped before every worker was ready");
    }
    started = true;
    return { runtime: host.runtime, url: formatUrl(hostname, port), hostname, port, close, closed };
  })();
}
