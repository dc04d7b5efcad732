// The contract every adapter's `serve(app, options)` follows: the same options, the same handle.
// Defaults are documented here once: 127.0.0.1:8000, a 10 s graceful-shutdown deadline.

import type { Runtime } from "./types.ts";

export const DEFAULT_PORT = 8000;
export const DEFAULT_HOSTNAME = "127.0.0.1";
/** How long `close()` lets in-flight requests and background work finish before cancelling them, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;
/** How long an idle keep-alive connection stays open, in ms (uvicorn's --timeout-keep-alive default, 5 s). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT = 5_000;
/** How long a client has to send a complete request head, in ms; past it the connection is closed (slowloris). */
export const DEFAULT_HEADERS_TIMEOUT = 10_000;
/** How long a response write may make no progress (a client that stopped reading) before the connection is dropped, in ms. */
export const DEFAULT_WRITE_TIMEOUT = 30_000;
/** Largest request head (request line and headers) accepted, in bytes; beyond it, 431. */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
/** Pending-connection queue passed to listen() where the runtime takes one (uvicorn's --backlog default). */
export const DEFAULT_BACKLOG = 2048;
/** Peers whose proxy headers are trusted with `proxyHeaders` (uvicorn's --forwarded-allow-ips default). */
export const DEFAULT_FORWARDED_ALLOW_IPS: readonly string[] = ["127.0.0.1"];

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

  // Production serving: processes, overload, timeouts, proxies, access log. Every default is the same on all four
  // adapters; where a runtime cannot apply one, the README says so.

  /** Processes serving the port (each runs the app's startup hooks), with a supervisor that restarts a dead one. Default 1. */
  workers?: number;
  /** A worker retires gracefully after this many requests and is replaced (a leak guard). Default: never. */
  limitMaxRequests?: number;
  /** Beyond this many requests in flight, answer 503 with Retry-After at once, without running the view. Default: no limit. */
  limitConcurrency?: number;
  /** Pending-connection queue passed to listen() where the runtime takes one. Default 2048. */
  backlog?: number;
  /** Idle keep-alive connection timeout in ms. Default 5,000. */
  keepAliveTimeout?: number;
  /** Time a client has to send its complete request head, in ms; then the connection is closed. Default 10,000. */
  headersTimeout?: number;
  /** Time a response write may make no progress before the connection is dropped, in ms. Default 30,000. */
  writeTimeout?: number;
  /** Largest request head in bytes; beyond it, 431. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Per-request deadline in ms: at it `ctx.signal` aborts and the client gets 503 `request_timeout`. Default: none. */
  requestTimeout?: number;
  /** Trust X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded from `forwardedAllowIps` peers. Default false. */
  proxyHeaders?: boolean;
  /** Peers (IP addresses, or "*") whose proxy headers are trusted. Default ["127.0.0.1"]. */
  forwardedAllowIps?: readonly string[];
  /** One line per request: "text" for a terminal, "json" for collectors, false for none. Default false in code. */
  accessLog?: AccessLogFormat | false;
  /** Where access-log lines go (each ends with a newline). Default: stdout, batched for up to 10 ms. */
  accessLogSink?: (line: string) => void;
}

/** The access log's line format. */
export type AccessLogFormat = "text" | "json";

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
