// The blocking server's options beyond the common ServeOptions, their documented defaults, and their validation.
// Defaults: threads = 2 x cores + 1 (gunicorn's rule), a queue of 1024 waiting requests, a 64 MiB request body cap.

import { availableParallelism } from "node:os";
import type { Logger, ServeOptions, Server } from "@asyncview/core";

/** Requests that may wait for a free thread before the server answers 503. */
export const DEFAULT_QUEUE_SIZE = 1024;
/** The adapter's own request body cap (bytes), far above the app's 1 MiB `readJson` default, which still applies. */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;
/** Seconds a 503 "queue full" answer tells the client to wait (`Retry-After`): core's, as for `over_capacity`. */
export { RETRY_AFTER_SECONDS } from "@asyncview/core/adapter";

/** gunicorn's rule of thumb for sync workers: 2 x cores + 1 (cores as `os.availableParallelism()` counts them). */
export function defaultThreads(): number {
  return 2 * availableParallelism() + 1;
}

export interface BlockingServeOptions extends ServeOptions {
  /** Worker threads, each holding one request from arrival to its last byte. Default {@link defaultThreads}. */
  threads?: number;
  /** Requests that may wait in the main thread for a free thread; beyond it, 503. Default 1024. */
  queueSize?: number;
  /** Largest request body the front accepts, in bytes; beyond it, 413. Default 64 MiB. */
  maxBodySize?: number;
  /** Where the main thread reports worker crashes and write failures. Default: JSON lines on the console. */
  logger?: Logger;
}

/** The `Server` handle, plus the pool's size for benchmarks and logs. */
export interface BlockingServer extends Server {
  readonly runtime: "blocking";
  /** Worker threads serving requests. */
  readonly threads: number;
  /** Requests that may wait for a thread. */
  readonly queueSize: number;
}

/** Checks that `value` (when given) is an integer >= `min`; returns it or `fallback`. */
export function integerOption(name: string, value: number | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}
