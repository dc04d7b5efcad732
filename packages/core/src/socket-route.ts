// Socket routes: the view `app.ws()` registers (426 for a plain request, origin and subprotocol checks, then an
// upgrade the adapter performs), and the registry each server keeps of its open sockets for shutdown and admission.

import type { ChannelLayer } from "./channel-layer.ts";
import type { RequestContext } from "./context.ts";
import { HttpError } from "./errors.ts";
import {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_SEND_BUFFER_LIMIT,
  DEFAULT_SEND_HIGH_WATER_MARK,
  ServerSocket,
  SocketClosedError,
  type Socket,
  type SocketTransport,
} from "./socket.ts";
import type { Context, Logger, Params } from "./types.ts";

export interface SocketOptions {
  /** Subprotocols this route speaks, in order of preference. A client offering only others is refused (400). */
  protocols?: readonly string[];
  /** Largest message accepted, in bytes; beyond it the socket closes with 1009. Default 1 MiB. */
  maxMessageSize?: number;
  /** Silence (no message, no pong) after which the connection is dropped, in ms; 0 for never. Default 120,000. */
  idleTimeout?: number;
  /** Browser origins allowed to connect (`https://example.com`); others get 403. Default: any origin. */
  origins?: readonly string[];
  /** `send()` resolves once at most this many bytes wait for the peer. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Past this many bytes waiting for the peer (room messages and sends nobody awaited pile up there), the connection
   * is dropped: a client that stops reading cannot grow the server's memory. Default 16 MiB.
   */
  sendBufferLimit?: number;
}

/** A socket route's handler: runs once the connection is open; the connection closes (1000) when it returns. */
export type SocketHandler<P = Params> = (socket: Socket, ctx: Context<P>) => void | Promise<void>;

/** What an adapter needs to upgrade: the chosen subprotocol and the limits the runtime can apply natively. */
export interface Upgrade {
  readonly socket: ServerSocket;
  readonly protocol: string;
  readonly maxMessageSize: number;
  readonly idleTimeout: number;
}

const UPGRADE = Symbol("asyncview.upgrade");

/** The App's method giving the largest `maxMessageSize` among its socket routes and its mounts' (0 without any). */
export const LARGEST_MESSAGE = Symbol("asyncview.largestMessage");

/**
 * The largest message any socket route of `app` accepts: what an adapter whose runtime takes one server-wide limit
 * sets natively (core then enforces each route's own, closing with 1009). 1 MiB when the app has no socket route.
 */
export function largestMessageSize(app: { [LARGEST_MESSAGE](): number }): number {
  return app[LARGEST_MESSAGE]() || DEFAULT_MAX_MESSAGE_SIZE;
}

/** The upgrade a socket route asked for, when `response` is its answer; undefined for any other response. */
export function upgradeOf(response: Response): Upgrade | undefined {
  return (response as unknown as { [UPGRADE]?: Upgrade })[UPGRADE];
}

/** Comma-separated header tokens, trimmed, empty ones dropped. */
function tokens(value: string | null): string[] {
  return value === null ? [] : value.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/** True when the headers ask for a WebSocket upgrade (`Upgrade: websocket`, RFC 6455 §4.1). */
export function wantsWebSocket(headers: { get(name: string): string | null }): boolean {
  return tokens(headers.get("upgrade")).some((t) => t.toLowerCase() === "websocket");
}

function upgradeRequired(message: string): HttpError {
  return new HttpError(426, message, {
    code: "upgrade_required",
    headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13" },
  });
}

/** The subprotocol to answer with: the route's most preferred one the client offered; "" when the client offered none. */
export function chooseProtocol(offered: readonly string[], supported: readonly string[]): string {
  if (offered.length === 0) return "";
  const chosen = supported.find((p) => offered.includes(p));
  if (chosen !== undefined) return chosen;
  throw new HttpError(400, `none of the offered subprotocols (${offered.join(", ")}) is supported`, {
    code: "unsupported_subprotocol",
    details: { offered, supported },
  });
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`socket option ${name} must be a number >= 0, got ${value}`);
  return value;
}

/**
 * The view behind `app.ws(pattern, handler, options)`. It answers a plain request 426, refuses a bad origin (403) or
 * subprotocol (400), and otherwise answers a marked response the adapter turns into the upgrade; the handler then runs
 * in this request's scope with `ctx.signal` bound to the socket. On a server that cannot upgrade it answers 501.
 */
export function socketView(
  handler: SocketHandler<never>,
  options: SocketOptions,
  layer: () => ChannelLayer,
  logger: Logger,
): (request: Request, ctx: Context) => Response {
  const protocols = options.protocols ?? [];
  const origins = options.origins === undefined ? undefined : new Set(options.origins);
  const maxMessageSize = checkLimit("maxMessageSize", options.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
  const idleTimeout = checkLimit("idleTimeout", options.idleTimeout, DEFAULT_IDLE_TIMEOUT);
  const highWaterMark = checkLimit("highWaterMark", options.highWaterMark, DEFAULT_SEND_HIGH_WATER_MARK);
  const sendBufferLimit = checkLimit("sendBufferLimit", options.sendBufferLimit, DEFAULT_SEND_BUFFER_LIMIT);
  if (sendBufferLimit < highWaterMark) throw new RangeError(`socket option sendBufferLimit (${sendBufferLimit}) must be at least highWaterMark (${highWaterMark})`);
  return (request, ctx) => {
    const headers = request.headers;
    if (!wantsWebSocket(headers)) throw upgradeRequired(`${ctx.route ?? "this route"} is a WebSocket endpoint: send Upgrade: websocket`);
    if (headers.get("sec-websocket-version") !== "13" || headers.get("sec-websocket-key") === null) {
      throw upgradeRequired("a WebSocket upgrade needs Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key");
    }
    if (origins !== undefined) {
      const origin = headers.get("origin");
      if (origin === null || !origins.has(origin)) {
        throw new HttpError(403, `origin ${origin === null ? "(none)" : JSON.stringify(origin)} may not open this socket`, {
          code: "origin_not_allowed",
        });
      }
    }
    const protocol = chooseProtocol(tokens(headers.get("sec-websocket-protocol")), protocols);
    const rc = ctx as RequestContext;
    if (!rc.canUpgrade) {
      throw new HttpError(501, `the ${ctx.runtime} server does not serve WebSocket`, { code: "websocket_unsupported" });
    }
    const socket = new ServerSocket({ id: crypto.randomUUID(), protocol, maxMessageSize, idleTimeout, highWaterMark, sendBufferLimit, layer: layer(), logger });
    rc.bindSignal(socket.signal);
    // Started here, so the handler runs in this request's context (request id, ContextVars); it waits for the open.
    socket.finished = socket.opened.then(() => runHandler(handler as SocketHandler, socket, ctx, logger));
    const upgrade: Upgrade = { socket, protocol, maxMessageSize, idleTimeout };
    const response = new Response(null, { status: 200 });
    Object.defineProperty(response, UPGRADE, { value: upgrade });
    return response;
  };
}

async function runHandler(handler: SocketHandler, socket: ServerSocket, ctx: Context, logger: Logger): Promise<void> {
  let code = 1000;
  try {
    await handler(socket, ctx);
  } catch (error) {
    // A send on a socket the peer closed ends the handler: that is the peer leaving, not a failure.
    if (!(error instanceof SocketClosedError && !socket.open)) {
      logger.error("socket handler failed", { route: ctx.route, socket: socket.id, error });
      code = 1011;
    }
  }
  if (socket.open) socket.close(code, code === 1011 ? "internal error" : "");
  await socket.closed;
}

/**
 * The open sockets of one server: shutdown closes them with 1001 and waits, past the deadline drops them; `size` is
 * the hook admission control (limitConcurrency) counts.
 */
export class SocketRegistry {
  readonly #open = new Set<ServerSocket>();
  #closing = false;

  get size(): number {
    return this.#open.size;
  }

  /** Attaches an adapter's native socket to `socket` and tracks it until it closes; closes it at once after shutdown began. */
  attach(socket: ServerSocket, transport: SocketTransport): void {
    socket.attach(transport);
    this.#open.add(socket);
    void socket.finished.then(() => this.#open.delete(socket));
    if (this.#closing && socket.open) socket.close(1001, "server shutting down");
  }

  /**
   * Shutdown: every open socket gets 1001 (after what was already sent); resolves once all have closed and their
   * handlers returned (their `finally` may still publish, before the app's shutdown closes the channel layer).
   */
  async drain(): Promise<void> {
    this.#closing = true;
    const sockets = [...this.#open];
    for (const socket of sockets) if (socket.open) socket.close(1001, "server shutting down");
    await Promise.all(sockets.map((s) => s.finished));
  }

  /** Past the deadline: drop the connections still open, without waiting for the peer. */
  async cut(): Promise<void> {
    const sockets = [...this.#open];
    for (const socket of sockets) socket.terminate();
    await Promise.all(sockets.map((s) => s.closed));
  }
}
