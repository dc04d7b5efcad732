// The contract every adapter's `serve(app, options)` follows: the same options, the same handle.
// Defaults are documented here once: 127.0.0.1:8000, a 10 s graceful-shutdown deadline.

import type { Runtime } from "./types.ts";

export const DEFAULT_PORT = 8000;
export const DEFAULT_HOSTNAME = "127.0.0.1";
/** How long `close()` lets in-flight requests and background work finish before cancelling them, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

export interface ServeOptions {
  /** TCP port; 0 picks a free one (read it back from `server.port`). Default 8000. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  hostname?: string;
  /** Aborting it closes the server gracefully, as `close()` does. */
  signal?: AbortSignal;
  /** Graceful-shutdown deadline in ms. Default 10,000. */
  shutdownTimeout?: number;
  /**
   * What an error nobody handled does (a promise nobody awaited that rejects, a timer callback that throws). Default
   * false: it is logged (with the request id when the runtime still knows the request) and the server keeps serving,
   * as asyncio logs "Task exception was never retrieved". True: it is logged, then the process exits with code 1,
   * for a supervisor to restart (Node's own default).
   */
  crashOnUnhandled?: boolean;
}

export interface CloseOptions {
  /** Overrides the server's `shutdownTimeout` for this close. */
  timeout?: number;
}

/** What `serve()` resolves to once the app's startup hooks ran and the socket listens. */
export interface Server {
  readonly runtime: Runtime;
  /** `http://host:port`, with IPv6 hosts in brackets. */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /**
   * Graceful close: stop accepting, let in-flight requests finish within the deadline, then abort the rest
   * (their `ctx.signal` fires), drain `waitUntil` work, run shutdown hooks. Safe to call twice.
   */
  close(options?: CloseOptions): Promise<void>;
  /** Settles when the server has closed, whoever closed it. */
  readonly closed: Promise<void>;
}

/** `http://host:port` with IPv6 literals bracketed. */
export function formatUrl(hostname: string, port: number): string {
  const host = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}`;
}
