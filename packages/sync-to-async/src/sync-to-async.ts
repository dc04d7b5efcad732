// syncToAsync(module, exportName): asgiref's sync_to_async. The function runs in a worker thread and the caller
// awaits it, so the event loop keeps serving. Inside a blocking-baseline thread it runs inline, as under WSGI.

import { availableParallelism } from "node:os";
import { blockingAllowed, contextSnapshot, type ContextVar, needRequestScope, requestKey } from "@asyncview/core";
import { callCopied } from "./copy.ts";
import { callExport } from "./load.ts";
import { type CancelMode, ThreadPool } from "./pool.ts";

/** Threads for thread-sensitive calls: Python's ThreadPoolExecutor default, min(32, cores + 4). */
export const THREAD_SENSITIVE_THREADS = Math.min(32, availableParallelism() + 4);

/** The affinity of thread-sensitive calls made outside any request (startup hooks, app tasks): one shared thread. */
const OUTSIDE_REQUESTS = {};

export interface SyncToAsyncOptions {
  /**
   * Keep calls on one thread, as asgiref's default does under Django's ASGI handler (code that is not thread-safe,
   * such as a database connection, stays on its thread): the thread-sensitive calls of one request (and of the
   * tasks it starts) all run on one thread, different requests spread over THREAD_SENSITIVE_THREADS threads, and
   * calls outside a request share one thread. Default true. With false, calls go to the shared pool (one thread
   * per core), or to `pool`.
   */
  threadSensitive?: boolean;
  /** A pool of your own (`new ThreadPool({ threads, queueSize })`); implies threadSensitive: false. */
  pool?: ThreadPool;
  /** What a call's abort does while it runs: "detach" (stop waiting; default) or "terminate" (end the thread). */
  onCancel?: CancelMode;
  /** ContextVars whose current values are sent with each call and set around it in the thread. */
  context?: readonly ContextVar<unknown>[];
}

export interface CallOptions {
  /** Aborting it cancels the call: a queued call is dropped, a running one detached or terminated. */
  signal?: AbortSignal;
}

/** The async function syncToAsync returns; `.with({ signal })(...args)` makes a call cancellable. */
export interface AsyncFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  with(options: CallOptions): (...args: A) => Promise<R>;
}

let sensitive: ThreadPool | undefined;
let shared: ThreadPool | undefined;

/** The pools behind thread-sensitive and ordinary calls, made on first use. */
export function defaultPools(): { threadSensitive: ThreadPool; shared: ThreadPool } {
  sensitive ??= new ThreadPool({ threads: THREAD_SENSITIVE_THREADS, name: "syncToAsync thread-sensitive pool" });
  shared ??= new ThreadPool({ name: "syncToAsync shared pool" });
  return { threadSensitive: sensitive, shared };
}

/**
 * Wraps the blocking function exported as `exportName` by `module` (a file: URL or URL string; the thread
 * imports it, so it must be importable by path). Arguments and results are copied (structured clone), inline too:
 * what cannot be copied (a function, a class's methods, a connection) rejects the call with a DataCloneError.
 */
export function syncToAsync<A extends unknown[], R>(
  module: string | URL,
  exportName: string,
  options: SyncToAsyncOptions = {},
): AsyncFunction<A, Awaited<R>> {
  const href = String(module);
  const sensitive = options.pool === undefined && options.threadSensitive !== false;
  if (sensitive) needRequestScope(); // its thread is chosen per request (requestKey)
  const run = (callOptions: CallOptions, args: A): Promise<Awaited<R>> => {
    // In a blocking thread (or a pool thread), blocking is the point: call it right here.
    if (blockingAllowed()) return callCopied(href, exportName, args, (copied) => callExport(href, exportName, copied)) as Promise<Awaited<R>>;
    const pool = options.pool ?? (sensitive ? defaultPools().threadSensitive : defaultPools().shared);
    const context = options.context ? contextSnapshot(options.context) : undefined;
    const affinity = sensitive ? (requestKey() ?? OUTSIDE_REQUESTS) : undefined;
    return pool.run(href, exportName, args, { signal: callOptions.signal, onCancel: options.onCancel, context, affinity }) as Promise<Awaited<R>>;
  };
  const fn = ((...args: A) => run({}, args)) as AsyncFunction<A, Awaited<R>>;
  fn.with = (callOptions: CallOptions) => (...args: A) => run(callOptions, args);
  return fn;
}
