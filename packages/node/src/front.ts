// The node:http front shared by the Node adapter and the blocking baseline: it listens, turns each request's
// target into an absolute URL (one Host rule), applies the connection timeouts and limits, counts requests in
// flight, drains or cuts them at close, and hands WebSocket upgrade requests to the adapter's upgrade hook.

import { createServer, type IncomingMessage, STATUS_CODES, type RequestListener, type Server as HttpServer, type ServerResponse } from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { errorResponse, HttpError, type Logger, type ServeOptions } from "@asyncview/core";
import {
  ABORT_GRACE_MS,
  acceptErrorReporter,
  BODY_TEXT,
  type ConnectionLimits,
  connectionLimits,
  headerPairs,
  headersTimedOut,
  headersTooLarge,
  listenError,
  type Listener,
  badHost,
  isUrlHost,
  missingHost,
  wantsWebSocket as asksForWebSocket,
} from "@asyncview/core/adapter";
import { writeResponse } from "./response.ts";

/** A request the front accepted: its absolute URL, built once. */
export type FrontHandler = (req: IncomingMessage, res: ServerResponse, url: string) => void;

/**
 * How an adapter takes WebSocket upgrades off the front: `wants` picks the requests that go to `handle` (the others
 * are served as plain requests), and `handle` owns the raw socket from then on: it upgrades it, or answers it with
 * `writeRawResponse`. Without one, every request is a plain request.
 */
export interface FrontUpgrade {
  wants(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, url: string): void;
}

/** True when the request asks to become a WebSocket (`Upgrade: websocket`): core's rule on node:http's headers. */
export function wantsWebSocket(req: IncomingMessage): boolean {
  return asksForWebSocket({ get: (name) => (req.headers[name] as string | undefined) ?? null });
}

/**
 * Answers a request that arrived as an upgrade with a plain HTTP response on its raw socket (a refusal, or a route
 * that is not a socket), body streamed, then closes the connection (which ends the body: no framing needed).
 */
export async function writeRawResponse(socket: Duplex, response: Response): Promise<void> {
  let head = `HTTP/1.1 ${response.status} ${response.statusText || STATUS_TEXT[response.status] || ""}\r\n`;
  const pairs = headerPairs(response);
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase();
    if (name !== "connection" && name !== "transfer-encoding") head += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
  }
  socket.write(`${head}connection: close\r\n\r\n`);
  const body = response.body;
  if (body !== null) {
    try {
      for await (const chunk of body) {
        if (socket.destroyed) break;
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
      }
    } catch {
      socket.destroy();
      return;
    }
  }
  socket.end();
}

const STATUS_TEXT: Record<number, string | undefined> = STATUS_CODES;

const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * The absolute URL of a request, or the reason it has none. Origin-form (`/path`) takes its authority from Host,
 * which every request must carry (core's missingHost rule); absolute-form (`http://host/path`, RFC 9112 §3.2.2)
 * carries its own.
 */
export function requestUrl(req: IncomingMessage, scheme: string): string | HttpError {
  const target = req.url ?? "/";
  if (target.charCodeAt(0) === 47 /* "/" */) {
    const host = req.headers.host;
    if (host === undefined || host === "") return missingHost();
    if (!isUrlHost(host)) return badHost(host);
    return `${scheme}://${host}${target}`;
  }
  if (ABSOLUTE_FORM.test(target) && URL.canParse(target)) return target;
  return new HttpError(400, `unsupported request target ${JSON.stringify(target.slice(0, 100))}`, { code: "bad_request_target" });
}

/** An error response as raw bytes with `Connection: close`, for a socket the HTTP parser does not own (or gave up). */
function rawErrorResponse(error: HttpError, reason: string): string {
  const response = errorResponse(error);
  const body = (response as unknown as Record<symbol, string>)[BODY_TEXT]!;
  const pairs = [...headerPairs(response), "connection", "close", "content-length", String(Buffer.byteLength(body))];
  let head = `HTTP/1.1 ${error.status} ${reason}\r\n`;
  for (let i = 0; i < pairs.length; i += 2) head += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
  return `${head}\r\n${body}`;
}

/** The 400 for an HTTP/0.9 request line: it is written before the HTTP parser owns the socket. */
const HTTP09 = rawErrorResponse(new HttpError(400, "HTTP/0.9 requests are not served", { code: "http09" }), "Bad Request");

/** Node's own answers to the other client errors (node:http's socketOnError), kept as they are. */
const NODE_CLIENT_ERRORS: Record<string, string> = {
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
};
const NODE_BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

/** The process's soft limit on open files and how many it has open, where the system tells (Linux /proc); else undefined. */
function openFiles(): { limit: number; open: number } | undefined {
  try {
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "latin1"))?.[1];
    return limit === undefined ? undefined : { limit: Number(limit), open: readdirSync("/proc/self/fd").length };
  } catch {
    return undefined;
  }
}

/**
 * Connections the front takes before it refuses new ones: the open-files limit less what is open at listen (the
 * runtime, the blocking baseline's threads) and a reserve (a sixteenth, at least 16) for files the app opens later.
 * Past the limit itself libuv accepts and closes pending connections silently (its EMFILE trick) and Node reports
 * nothing; below it, Node closes each extra connection itself and says so ('drop'), which is logged once per burst.
 */
function connectionCap(): number | undefined {
  const files = openFiles();
  return files === undefined ? undefined : Math.max(1, files.limit - files.open - Math.max(16, Math.ceil(files.limit / 16)));
}

/** How often node:http looks for connections past `headersTimeout`: a quarter of it, between 250 ms and Node's 30 s. */
function checkingInterval(headersTimeout: number): number {
  return Math.min(30_000, Math.max(250, Math.floor(headersTimeout / 4)));
}

/** True when the first request line in `head` is complete and carries no ` HTTP/x.y` (HTTP/0.9, or not HTTP). */
function versionless(head: string): boolean {
  const start = head.search(/[^\r\n]/); // RFC 9112 §2.2: empty lines before a request line are ignored
  if (start < 0) return false;
  const end = head.indexOf("\n", start);
  return end >= 0 && !/ HTTP\/\d\.\d\r?$/.test(head.slice(start, end));
}

export interface FrontOptions {
  /** Wraps the request listener (the blocking baseline puts Express around it). */
  wrap?: (listener: RequestListener) => RequestListener;
  /** The ServeOptions whose timeouts and limits the front applies (defaults from core). */
  limits?: ServeOptions;
  /** Where accept errors (out of file descriptors) are reported, once per burst. */
  logger: Logger;
  /** Takes WebSocket upgrade requests off the front; without one, every request is a plain request. */
  upgrade?: FrontUpgrade | undefined;
}

export class NodeFront implements Omit<Listener, "release" | "logger"> {
  readonly runtime: Listener["runtime"];
  readonly server: HttpServer;
  readonly scheme = "http";
  hostname = "";
  port = 0;
  /** True once `drain()` began: responses then carry `Connection: close`, and signals say "server shutting down". */
  closing = false;
  /** Connections that have not sent a byte yet (outside the HTTP server's own bookkeeping). */
  readonly #silent = new Set<Socket>();
  /** Connections whose writes are pending: the bytes flushed so far and since when that number has not moved. */
  readonly #writing = new Map<Socket, { flushed: number; since: number }>();
  readonly #sockets = new Set<Socket>();
  readonly #limits: ConnectionLimits;
  readonly #logger: Logger;
  #inflight = 0;
  #idle: (() => void) | undefined;
  #listenerClosed: Promise<void> | undefined;
  #writeWatch: ReturnType<typeof setInterval> | undefined;

  constructor(runtime: Listener["runtime"], handler: FrontHandler, options: FrontOptions) {
    this.runtime = runtime;
    const { upgrade } = options;
    const wrap = options.wrap ?? ((listener) => listener);
    const limits = (this.#limits = connectionLimits(options.limits ?? {}));
    this.#logger = options.logger;
    const accept: RequestListener = (req, res) => {
      const url = requestUrl(req, this.scheme);
      if (typeof url === "string") return handler(req, res, url);
      this.enter();
      void writeResponse(res, errorResponse(url), true);
      this.leave();
    };
    this.server = createServer(
      {
        requireHostHeader: false,
        keepAliveTimeout: limits.keepAliveTimeout,
        headersTimeout: limits.headersTimeout,
        // Node refuses a requestTimeout below headersTimeout; its own default (300 s) stays otherwise.
        requestTimeout: Math.max(300_000, limits.headersTimeout),
        connectionsCheckingInterval: checkingInterval(limits.headersTimeout),
        maxHeaderSize: limits.maxHeaderSize,
        shouldUpgradeCallback: (req) => upgrade?.wants(req) ?? false,
      },
      wrap(accept),
    );
    this.server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => this.#clientError(error, socket));
    if (upgrade) {
      this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const url = requestUrl(req, this.scheme);
        if (typeof url === "string") return upgrade.handle(req, socket, head, url);
        void writeRawResponse(socket, errorResponse(url));
      });
    }
    this.#lookFirst();
  }

  /**
   * node:http's answer to a client error, with core's JSON body for the two limits this front sets: 431 for a head
   * past maxHeaderSize, 408 for one not complete within headersTimeout. Others get Node's own answer, unchanged.
   */
  #clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const { maxHeaderSize, headersTimeout } = this.#limits;
      if (error.code === "HPE_HEADER_OVERFLOW") socket.write(rawErrorResponse(headersTooLarge(maxHeaderSize), "Request Header Fields Too Large"));
      else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") socket.write(rawErrorResponse(headersTimedOut(headersTimeout), "Request Timeout"));
      else socket.write(NODE_CLIENT_ERRORS[error.code ?? ""] ?? NODE_BAD_REQUEST);
    }
    socket.destroy(error);
  }

  /**
   * Drops a connection whose pending response bytes made no progress for `writeTimeout` (a client that stopped
   * reading), so it cannot hold a view, a thread or memory forever. Progress is bytes the kernel took; a response
   * waiting for its view, or a stream between chunks, has nothing pending and is never timed. One timer for all.
   */
  #watchWrites(): void {
    const { writeTimeout } = this.#limits;
    this.#writeWatch = setInterval(() => {
      const now = Date.now();
      for (const socket of this.#sockets) {
        const pending = socket.writableLength;
        if (pending === 0 || socket.destroyed) {
          this.#writing.delete(socket);
          continue;
        }
        const flushed = socket.bytesWritten - pending;
        const seen = this.#writing.get(socket);
        if (seen === undefined || seen.flushed !== flushed) this.#writing.set(socket, { flushed, since: now });
        else if (now - seen.since >= writeTimeout) {
          this.#writing.delete(socket);
          socket.destroy();
        }
      }
    }, Math.min(1000, Math.max(50, Math.floor(writeTimeout / 4))));
    this.#writeWatch.unref();
  }

  /**
   * Node's parser takes an HTTP/0.9 line (`GET /path` and CRLF) for a request whose headers are still coming and
   * waits for them (Bun answers 505, Deno 400). So each connection's first bytes are looked at once, before the
   * parser takes the socket: a request line without a version is answered 400 and the connection closed; anything
   * else is handed back untouched. Until its first bytes a connection is idle: close() ends it, and one that sends
   * nothing gets the server's `headersTimeout`, as it would inside the parser.
   */
  #lookFirst(): void {
    const { server } = this;
    const parsers = server.listeners("connection") as ((socket: Socket) => void)[];
    server.removeAllListeners("connection");
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => {
        this.#sockets.delete(socket);
        this.#writing.delete(socket);
      });
      const silent = () => socket.destroy();
      this.#silent.add(socket);
      socket.setTimeout(server.headersTimeout, silent);
      socket.once("close", () => this.#silent.delete(socket));
      socket.once("data", (chunk: Buffer) => {
        this.#silent.delete(socket);
        socket.setTimeout(0);
        socket.off("timeout", silent);
        if (versionless(chunk.toString("latin1", 0, Math.min(chunk.byteLength, 8192)))) {
          socket.end(HTTP09);
          return;
        }
        socket.pause();
        socket.unshift(chunk);
        for (const parse of parsers) parse.call(server, socket);
        socket.resume();
      });
    });
  }

  /** Binds (sharing the port with other processes when `reusePort`); throws `cannot listen on HOST:PORT: CODE`. */
  async listen(port: number, hostname: string, reusePort = false): Promise<void> {
    const { server } = this;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: hostname, backlog: this.#limits.backlog, reusePort }, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw listenError(hostname, port, error);
    });
    // Past listen, the server's errors are accept errors: libuv keeps listening, so they are logged once per burst
    // and the open connections go on being served. Running out of file descriptors is foreseen (connectionCap).
    const reportAcceptError = acceptErrorReporter(this.#logger);
    server.on("error", reportAcceptError);
    const cap = connectionCap();
    if (cap !== undefined) {
      server.maxConnections = cap;
      const dropped = { code: "EMFILE", message: `${cap} connections open, near the open-files limit (ulimit -n)` };
      server.on("drop", () => reportAcceptError(dropped));
    }
    this.#watchWrites();
    this.hostname = hostname;
    this.port = (server.address() as AddressInfo).port;
  }

  /** A request started (call `leave()` once its response is done or its client left). */
  enter(): void {
    this.#inflight++;
  }

  leave(): void {
    if (--this.#inflight === 0) this.#idle?.();
  }

  /** Stop accepting; wait for the requests in flight; close the keep-alive connections left idle. */
  async drain(): Promise<void> {
    this.closing = true;
    this.#listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.#listenerClosed.then(() => clearInterval(this.#writeWatch));
    this.server.closeIdleConnections();
    // A connection accepted an instant before (its request not read yet: a client racing a worker's retirement) gets
    // a short grace to send it, answered with Connection: close; one that stays silent is closed then.
    const silentGrace = setTimeout(() => {
      for (const socket of this.#silent) socket.destroy();
    }, ABORT_GRACE_MS);
    await this.#untilIdle();
    // Keep-alive connections that went idle after close began are closed now; one still sending a request
    // that will never count as in flight (a stalled client) gets a short grace, then it is cut.
    this.server.closeIdleConnections();
    const grace = setTimeout(() => this.server.closeAllConnections(), ABORT_GRACE_MS);
    await this.#listenerClosed;
    clearTimeout(grace);
    clearTimeout(silentGrace);
  }

  /** Past the deadline: drop every connection (views that read ctx.signal see it abort) and wait for them to unwind. */
  async cut(): Promise<void> {
    this.server.closeAllConnections();
    await this.#untilIdle();
    await this.#listenerClosed;
  }

  #untilIdle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#idle = resolve));
  }
}

/** Reads a request header by its lower-case name (Node joins repeated list headers with ", "). */
export function headerReader(req: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = req.headers[name];
    return typeof value === "string" ? value : undefined;
  };
}

export { bodyUnreadable, closeForUnreadBody } from "./body.ts";
export { writeResponse } from "./response.ts";
export { relayEvents, type SocketEvents, type WebSocket, WebSocketAcceptor } from "./websocket.ts";
