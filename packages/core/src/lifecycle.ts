// The server lifecycle every adapter shares: one `close()` state machine (drain within the deadline, cut what is left, a
// short grace to unwind, then release the app), errors nobody handled guarded while it runs, one listen-error wording.

import { flushAccessLog } from "./access-log.ts";
import { DEFAULT_SHUTDOWN_TIMEOUT, formatUrl, type CloseOptions, type ServeOptions, type Server } from "./server.ts";
import type { Logger, Runtime } from "./types.ts";
import { errorMessage } from "./thrown.ts";
import { within } from "./timeout.ts";
import { guardUnhandled } from "./unhandled.ts";

/**
 * After the shutdown deadline cut the requests still running, how long they get to unwind, in ms; also the least time
 * the app's shutdown (background work, then its hooks) gets once the connections closed.
 */
export const ABORT_GRACE_MS = 1000;

/** What an adapter plugs into the lifecycle: its runtime's listener, stop-accepting and force-close. */
export interface Listener {
  readonly runtime: Runtime;
  readonly hostname: string;
  readonly port: number;
  /** Where the server reports errors nobody handled while it runs (the app's logger). */
  readonly logger: Logger;
  /** Stop accepting; resolve once every in-flight request (and its response body) finished. */
  drain(): Promise<void>;
  /** The deadline passed: cut every connection still open (their views' `ctx.signal` aborts); resolve once unwound. */
  cut(): Promise<void>;
  /** After the connections closed: run the app's shutdown (hooks, background work) within `timeLeft` ms. */
  release(timeLeft: number): Promise<void>;
}

/** The ServeOptions the lifecycle acts on: the deadline, the abort signal, what an error nobody handled does. */
export type LifecycleOptions = Pick<ServeOptions, "shutdownTimeout" | "signal" | "crashOnUnhandled">;

/** The `Server` handle for a listening `listener`: graceful close with the deadline, `closed`, `url`. */
export function serverHandle<L extends Listener>(listener: L, options: LifecycleOptions = {}): Server {
  const shutdownTimeout = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  // From now until closed, an error nobody handled is logged instead of ending the process (unless crashOnUnhandled).
  const unguard = guardUnhandled(listener.logger, options.crashOnUnhandled);

  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    closing ??= (async () => {
      const timeout = closeOptions.timeout ?? shutdownTimeout;
      const started = Date.now();
      // Past the deadline the remaining requests are cut; their views see ctx.signal abort and get a short
      // grace to unwind before the app's shutdown hooks release what they share.
      if (!(await within(listener.drain(), timeout))) await within(listener.cut(), ABORT_GRACE_MS);
      // The app's shutdown (background work, then its hooks, each awaited until its deadline at most) gets what is
      // left of the deadline, and never less than the same grace: a hook that closes a database gets a chance even
      // when the requests used the whole deadline.
      await listener.release(Math.max(ABORT_GRACE_MS, timeout - (Date.now() - started)));
      flushAccessLog(); // the last requests' lines, before the process may exit
      unguard();
      resolveClosed();
    })();
    return closing;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  const { runtime, hostname, port } = listener;
  return { runtime, url: formatUrl(hostname, port), hostname, port, close, closed };
}

/** The error every adapter throws when it cannot bind: `cannot listen on HOST:PORT: CODE`. */
export function listenError(hostname: string, port: number, error: unknown): Error {
  const named: { code?: unknown; name?: unknown } = typeof error === "object" && error !== null ? error : {};
  const code = typeof named.code === "string" ? named.code : named.name === "AddrInUse" ? "EADDRINUSE" : errorMessage(error);
  return new Error(`cannot listen on ${hostname}:${port}: ${code}`, { cause: error });
}
