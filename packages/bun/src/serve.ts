// serve(app) on Bun.serve: Bun's own Request goes to the app untouched and the app's Response goes back through
// core's relay (helpers materialised, streams checked at their first chunk), socket routes upgrade through Bun's
// `server.upgrade` and `websocket` handlers. The shared lifecycle closes it.

import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { type App, errorResponse, HttpError, type Runtime, type ServeOptions, type Server } from "@asyncview/core";
import {
  acceptErrorReporter,
  connectionLimits,
  DEFAULT_HOSTNAME,
  type DirectBody,
  headersTooLarge,
  installRuntime,
  largestMessageSize,
  type ListenPlan,
  listenError,
  badHost,
  isUrlHostAt,
  missingHost,
  nativeResponse,
  processHooks,
  requestHeadSize,
  type PipelineExchange,
  type Responder,
  RequestPipeline,
  type ServeInfo,
  serverHandle,
  type StreamPacing,
  SocketRegistry,
  serveWorkers,
  toFetchResponse,
  type Upgrade,
  upgradeOf,
} from "@asyncview/core/adapter";

installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], stdout: (text) => void process.stdout.write(text), ...processHooks(process) });

/** Bun's native cap on request bodies, set by this adapter: 64 MiB (Bun's own default is 128 MiB). */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;

export interface BunServeOptions extends ServeOptions {
  /** Largest request body Bun accepts, in bytes; beyond it Bun answers 413 itself. Default 64 MiB. */
  maxBodySize?: number;
}

/** The request head Bun accepts before answering 431 itself (its --max-http-header-size default). */
export const BUN_MAX_HEADER_SIZE = 16 * 1024;
/** Bun.serve's idleTimeout ceiling, in seconds. */
const BUN_MAX_IDLE_SECONDS = 255;

/** What the requests of one server share: the app, Bun's connection timer settings, the upgrade. */
interface Serving {
  app: App;
  /** The keep-alive timeout, in Bun's whole seconds: set once a response is out of the app's hands. */
  keepAliveSeconds: number;
  /** The write timeout, in Bun's whole seconds: set while a streamed chunk waits for the client. */
  writeSeconds: number;
  upgradeSocket(request: Request, server: Bun.Server<Upgrade>, upgrade: Upgrade, exchange: PipelineExchange): Response | undefined;
}

/**
 * One request on Bun: the peer info the pipeline gets (the address looked up only when read), the writer the app's
 * answer goes to, and the pacing a relayed stream reports to. Fields rather than closures: a waiting request holds
 * this object and nothing per callback.
 */
class BunRequest implements ServeInfo, Responder<Response | undefined>, StreamPacing {
  /** The request's passage through core's pipeline, set once it began. */
  exchange!: PipelineExchange;
  readonly #serving: Serving;
  readonly #server: Bun.Server<Upgrade>;
  readonly #request: Request;
  #peer: { address: string; port: number } | null | undefined;
  constructor(serving: Serving, server: Bun.Server<Upgrade>, request: Request) {
    this.#serving = serving;
    this.#server = server;
    this.#request = request;
  }
  get runtime(): Runtime {
    return "bun";
  }
  get upgrade(): boolean {
    return true;
  }
  // No `signal` here: Bun aborts `request.signal` when the client disconnects, and ctx.signal falls back to it.
  get remoteAddress(): string | undefined {
    return (this.#peer ??= this.#server.requestIP(this.#request))?.address;
  }
  get remotePort(): number | undefined {
    return (this.#peer ??= this.#server.requestIP(this.#request))?.port;
  }

  /** The app's answer as Bun's Response, through core's relay; a socket route's answer becomes Bun's upgrade. */
  respond(response: Response): Response | undefined | Promise<Response> {
    const { exchange } = this;
    const request = this.#request;
    const server = this.#server;
    const serving = this.#serving;
    const upgrade = upgradeOf(response);
    // An upgraded socket holds its place under limitConcurrency (and gets its access-log line) until it closes.
    if (upgrade !== undefined) return serving.upgradeSocket(request, server, upgrade, exchange);
    // 499 in the log: the client left before the view answered (Bun aborted request.signal) or mid-body.
    const leftAlready = exchange.logged && request.signal.aborted;
    return nativeResponse(
      serving.app,
      request,
      response,
      (clientLeft, status) => {
        exchange.end(clientLeft || leftAlready ? 499 : status);
        if (!clientLeft) server.timeout(request, serving.keepAliveSeconds); // idle again: the keep-alive timeout
      },
      this,
      directBody,
    );
  }

  /** A relayed stream waits for the app: Bun's connection timer is off (a slow producer is never cut). */
  waitingForApp(): void {
    this.#server.timeout(this.#request, 0);
  }

  /** A relayed chunk waits for the client: Bun's connection timer is the write timeout. */
  waitingForClient(): void {
    this.#server.timeout(this.#request, this.#serving.writeSeconds);
  }
}

/**
 * Bun's direct ReadableStream carries a relayed body: Bun calls `pull` once and each chunk goes straight to the
 * socket. The demo's `/stream?n=10&ms=0` at 64 connections took 42.8 µs of CPU a request through a pull-based
 * stream, 28.3 through this one (4 alternated rounds, medians; bare `Bun.serve` 18.3 through a direct one, against
 * 21.5 in a later pair).
 */
const directBody: DirectBody = (write, cancel) => {
  const source: Bun.DirectUnderlyingSource<Uint8Array> = { type: "direct", pull: (controller) => write(controller), cancel };
  // bun-types declares the direct constructor only where no other ReadableStream type (here Node's) is in scope.
  return new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>);
};

/** Serves `app`; with `workers` (or `limitMaxRequests`) from worker processes under a supervisor (core's supervisor.ts). */
export function serve(app: App, options: BunServeOptions = {}): Promise<Server> {
  return serveWorkers(options, { runtime: "bun", current: process, spawn }, (plan) => serveHere(app, options, plan));
}

async function serveHere(app: App, options: BunServeOptions, plan: ListenPlan): Promise<Server> {
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const { port, onRequest } = plan;
  const limits = connectionLimits(options);
  // Bun's one connection timer (idleTimeout, whole seconds, ticking every 4 s) runs while Bun reads a request and
  // while a connection is idle, but also while a view runs: it is switched off per request for the view and set
  // to the keep-alive timeout once the response is out of the app's hands.
  const seconds = (ms: number) => Math.min(BUN_MAX_IDLE_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
  const keepAliveSeconds = seconds(limits.keepAliveTimeout);
  // A streamed body: the timer is off while the app produces, and is the write timeout while a chunk waits for the
  // client (every write that progresses restarts it), so a client that stops reading is dropped, a slow stream never.
  const writeSeconds = seconds(limits.writeTimeout);
  // Bun refuses heads past its own 16 KiB itself; a smaller limit is the adapter's to check.
  const checkHead = limits.maxHeaderSize < BUN_MAX_HEADER_SIZE;
  const pipeline = new RequestPipeline(options, undefined, { idHeaderAtArrival: false });
  await app.startup();
  const sockets = new SocketRegistry();
  /** A socket route's answer becomes Bun's upgrade; the socket's `data` is core's upgrade. */
  const upgradeSocket = (request: Request, bunServer: Bun.Server<Upgrade>, upgrade: Upgrade, exchange: PipelineExchange): Response | undefined => {
    const headers = upgrade.protocol === "" ? undefined : { "sec-websocket-protocol": upgrade.protocol };
    if (bunServer.upgrade(request, { data: upgrade, headers })) {
      void upgrade.socket.closed.then(() => exchange.end(101));
      return undefined;
    }
    exchange.end(400);
    upgrade.socket.ended(1006, "");
    return toFetchResponse(errorResponse(new HttpError(400, "malformed WebSocket handshake", { code: "bad_websocket_handshake" })));
  };
  const serving: Serving = { app, keepAliveSeconds, writeSeconds, upgradeSocket };
  let server: Bun.Server<Upgrade>;
  try {
    server = Bun.serve({
      port,
      hostname,
      maxRequestBodySize: options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
      development: false,
      // Refuse a port another server holds, as node:http and Deno.serve do (no silent load-sharing), except among
      // the workers of one supervisor.
      reusePort: plan.reusePort,
      idleTimeout: keepAliveSeconds,
      fetch(request, bunServer) {
        onRequest?.();
        // Bun answers HTTP/1.1 without Host itself; an HTTP/1.0 one arrives with a relative URL.
        if (request.url.charCodeAt(0) === 47 /* "/" */) {
          const host = request.headers.get("host"); // a Host Bun could not use ("a b") also leaves the URL relative
          return toFetchResponse(errorResponse(host === null ? missingHost() : badHost(host)));
        }
        // The Host rule (core's host.ts): the authority Bun put in the URL must parse (one comparison when it repeats).
        const url = request.url;
        const start = url.indexOf("//") + 2;
        const end = url.indexOf("/", start);
        if (!isUrlHostAt(url, start, end)) return toFetchResponse(errorResponse(badHost(url.slice(start, end))));
        if (checkHead && requestHeadSize(request) > limits.maxHeaderSize) {
          return toFetchResponse(errorResponse(headersTooLarge(limits.maxHeaderSize)));
        }
        bunServer.timeout(request, 0);
        // The gate, the deadline, proxy headers and the access log (core's pipeline); `exchange` is the app's ServeInfo.
        const peer = new BunRequest(serving, bunServer, request);
        const exchange = (peer.exchange = pipeline.begin(peer, request.method, request.url, (name) => request.headers.get(name) ?? undefined));
        return exchange.handle(app, request, peer);
      },
      websocket: {
        // Bun's limits are server-wide: the native cap is the largest route's; core enforces each route's own and
        // keeps the idle timer (with ws.ping), so Bun's own idle timeout is off. Sends are never dropped natively:
        // core's `send()` waits below each route's high-water mark instead.
        maxPayloadLength: largestMessageSize(app),
        idleTimeout: 0,
        backpressureLimit: 0,
        perMessageDeflate: false,
        open(ws) {
          sockets.attach(ws.data.socket, {
            send: (message) => void ws.send(message),
            get bufferedAmount() {
              return ws.getBufferedAmount();
            },
            close: (code, reason) => ws.close(code, reason),
            terminate: () => ws.terminate(),
            ping: () => void ws.ping(),
          });
        },
        message: (ws, message) => ws.data.socket.receive(message),
        drain: (ws) => ws.data.socket.drained(),
        ping: (ws) => ws.data.socket.activity(),
        pong: (ws) => ws.data.socket.activity(),
        close: (ws, code, reason) => ws.data.socket.ended(code, reason),
      },
      error(error) {
        app.logger.error("request failed", { error });
        return toFetchResponse(errorResponse(error, app.debug));
      },
    });
  } catch (error) {
    throw listenError(hostname, port, error);
  }
  return serverHandle(
    {
      runtime: "bun",
      logger: app.logger,
      hostname,
      port: server.port ?? 0,
      // Stop accepting; idle keep-alive connections close now, busy ones after their response.
      // Open sockets get 1001 meanwhile.
      drain: async () => void (await Promise.all([sockets.drain(), server.stop(false)])),
      // Past the deadline: cut the remaining connections; their request.signal aborts.
      cut: async () => void (await Promise.all([sockets.cut(), server.stop(true)])),
      release: (timeLeft) => app.shutdown({ timeout: timeLeft }),
    },
    options,
  );
}
