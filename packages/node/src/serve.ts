// serve(app) on node:http: the uvicorn analog for Node. Lazy request facade in, backpressured writes out,
// ctx.signal aborted on client disconnect (never on a normal finish), the shared lifecycle for close, and WebSocket
// upgrades through the `ws` package on the front's upgrade hook.

import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type App, errorResponse, type Runtime, type ServeOptions, type Server } from "@asyncview/core";
import {
  DEFAULT_HOSTNAME,
  installRuntime,
  type ListenPlan,
  logResponseFailure,
  processHooks,
  type PipelineExchange,
  type Responder,
  RequestPipeline,
  type ServeInfo,
  serverHandle,
  type ServerSocket,
  SocketRegistry,
  type Upgrade,
  upgradeOf,
  serveWorkers,
} from "@asyncview/core/adapter";
import { type FrontUpgrade, headerReader, NodeFront, wantsWebSocket, writeRawResponse } from "./front.ts";
import { relayEvents, type WebSocket, WebSocketAcceptor } from "./websocket.ts";
import { NodeRequest, type SignalSource } from "./request.ts";
import { writeResponse } from "./response.ts";

installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], stdout: (text) => void process.stdout.write(text), ...processHooks(process) });

/** What the requests of one server share. */
interface Serving {
  app: App;
  front: NodeFront;
}

/**
 * One request in flight: the peer info the pipeline gets, the signal source of its Request facade and the writer the
 * app's answer goes to (fields and methods rather than closures: a waiting request holds this object and the
 * exchange). Its AbortController, and the socket listener that fires it on disconnect, exist only once someone reads
 * `signal`: a view that never looks pays nothing for it.
 */
class InFlight implements ServeInfo, Responder<void>, SignalSource {
  /** The request's passage through core's pipeline, set once it began. */
  exchange!: PipelineExchange;
  readonly #serving: Serving;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #url: string;
  #controller: AbortController | undefined;

  constructor(serving: Serving, req: IncomingMessage, res: ServerResponse, url: string) {
    this.#serving = serving;
    this.#req = req;
    this.#res = res;
    this.#url = url;
  }

  get runtime(): Runtime {
    return "node";
  }

  get remoteAddress(): string | undefined {
    return this.#res.socket?.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#res.socket?.remotePort;
  }

  /** Aborts when the client disconnects before the response finished (or the server gives up at shutdown). */
  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const res = this.#res;
    const front = this.#serving.front;
    const onClose = () => {
      if (res.writableFinished) return; // a normal finish: nothing to cancel
      const reason = front.closing ? "server shutting down" : "client disconnected";
      controller.abort(new DOMException(reason, "AbortError"));
    };
    if (res.destroyed) onClose();
    else res.once("close", onClose);
    return controller.signal;
  }

  /** The facade's signal: the exchange's (joined with the request deadline's, when there is one). */
  requestSignal(): AbortSignal {
    return this.exchange.signal ?? this.signal;
  }

  // writeResponse also closes (lingering) when the request body is still arriving. It runs in the request's
  // context (exchange.handle), and so does `fail` for a body that fails: its log line carries the request id.
  respond(response: Response): void | Promise<void> {
    try {
      const written = writeResponse(this.#res, response, this.#serving.front.closing);
      if (written instanceof Promise) return written.catch((error: unknown) => this.fail(error));
    } catch (error) {
      this.fail(error);
    }
  }

  /** A response that could not be written: logged, and a 500 when nothing was sent yet. */
  fail(error: unknown): void {
    const res = this.#res;
    const { app, front } = this.#serving;
    logResponseFailure(app, { method: this.#req.method, url: this.#url }, error, res.headersSent);
    if (!res.headersSent && !res.destroyed) void Promise.resolve(writeResponse(res, errorResponse(error, app.debug), front.closing)).catch(() => res.destroy());
  }

  /** The response is out of the app's hands: the access-log line (499 when the client left first), the place freed. */
  leave(): void {
    const res = this.#res;
    this.exchange.end(res.destroyed && !res.writableFinished ? 499 : res.statusCode);
    this.#serving.front.leave();
  }

  /** Waits for an answer still being written, then leaves. */
  settle(written: Promise<void>): void {
    written.then(
      () => this.leave(),
      (error: unknown) => {
        try {
          this.fail(error);
        } finally {
          this.leave();
        }
      },
    );
  }
}

/** ServeInfo for an upgrade request: its signal aborts if the raw socket closes before the handshake is answered. */
class UpgradeInfo implements ServeInfo {
  readonly runtime = "node" as const;
  readonly upgrade = true;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly signal: AbortSignal;
  constructor(socket: Duplex & { remoteAddress?: string; remotePort?: number }) {
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    const controller = new AbortController();
    this.signal = controller.signal;
    socket.once("close", () => controller.abort(new DOMException("client disconnected", "AbortError")));
  }
}

/** Wires a `ws` socket to core's socket: its events in, core's sends and closes out. */
function wire(ws: WebSocket, socket: ServerSocket, sockets: SocketRegistry): void {
  const drained = () => socket.drained();
  sockets.attach(socket, {
    send: (message) => ws.send(message, drained),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    ping: () => ws.ping(),
  });
  relayEvents(ws, socket);
}

/**
 * The front's upgrade hook: the app answers the request through the pipeline (gate, deadline, proxy headers, access
 * log); a socket route's answer becomes a `ws` upgrade, which holds its place under `limitConcurrency` until it closes.
 */
function upgrades(app: App, front: () => NodeFront, sockets: SocketRegistry, pipeline: RequestPipeline): FrontUpgrade {
  const acceptor = new WebSocketAcceptor();
  const finish = (req: IncomingMessage, socket: Duplex, head: Buffer, response: Response, exchange: PipelineExchange): void | Promise<void> => {
    const upgrade: Upgrade | undefined = upgradeOf(response);
    if (upgrade === undefined) {
      const written = writeRawResponse(socket, response);
      if (written instanceof Promise) return written.finally(() => exchange.end(response.status));
      return exchange.end(response.status);
    }
    if (socket.destroyed) {
      exchange.end(499);
      return upgrade.socket.ended(1006, "");
    }
    void upgrade.socket.closed.then(() => exchange.end(101));
    acceptor.accept(req, socket, head, upgrade.protocol, upgrade.maxMessageSize, (ws) => wire(ws, upgrade.socket, sockets));
  };
  return {
    wants: wantsWebSocket,
    handle(req, socket, head, url) {
      front().enter();
      const info = new UpgradeInfo(socket);
      const exchange = pipeline.begin(info, req.method ?? "GET", url, headerReader(req), req.httpVersion);
      const request = new NodeRequest(req, url, { requestSignal: () => exchange.signal ?? info.signal }) as unknown as Request;
      const fail = (error: unknown) => {
        logResponseFailure(app, { method: req.method, url }, error, false);
        exchange.end(500);
        socket.destroy();
      };
      try {
        const done = exchange.handle(app, request, { respond: (response) => finish(req, socket, head, response, exchange) });
        void Promise.resolve(done).catch(fail).finally(() => front().leave());
      } catch (error) {
        fail(error);
        front().leave();
      }
    },
  };
}

/** Serves `app`; with `workers` (or `limitMaxRequests`) from worker processes under a supervisor (core's supervisor.ts). */
export function serve(app: App, options: ServeOptions = {}): Promise<Server> {
  return serveWorkers(options, { runtime: "node", current: process, spawn }, (plan) => serveHere(app, options, plan));
}

async function serveHere(app: App, options: ServeOptions, plan: ListenPlan): Promise<Server> {
  const sockets = new SocketRegistry();
  const pipeline = new RequestPipeline(options);
  const front: NodeFront = new NodeFront("node", (req, res, url) => {
    front.enter();
    const flight = new InFlight(serving, req, res, url);
    // The gate, the deadline, proxy headers and the access log (core's pipeline); `exchange` is the app's ServeInfo.
    const exchange = (flight.exchange = pipeline.begin(flight, req.method ?? "GET", url, headerReader(req), req.httpVersion));
    const request = new NodeRequest(req, url, flight) as unknown as Request;
    // Synchronous views are answered synchronously; anything async settles through one promise chain.
    try {
      const written = exchange.handle(app, request, flight);
      if (written instanceof Promise) return flight.settle(written);
    } catch (error) {
      flight.fail(error);
    }
    flight.leave();
  }, { limits: options, logger: app.logger, upgrade: upgrades(app, () => front, sockets, pipeline) });
  const serving: Serving = { app, front };

  await app.startup();
  await front.listen(plan.port, options.hostname ?? DEFAULT_HOSTNAME, plan.reusePort);
  if (plan.onRequest) front.server.on("request", plan.onRequest);
  return serverHandle(
    {
      runtime: "node",
      logger: app.logger,
      hostname: front.hostname,
      port: front.port,
      // Open sockets get 1001 while the HTTP requests in flight finish; the listener closes once both are done.
      drain: async () => void (await Promise.all([sockets.drain(), front.drain()])),
      cut: async () => void (await Promise.all([sockets.cut(), front.cut()])),
      release: (timeLeft) => app.shutdown({ timeout: timeLeft }),
    },
    options,
  );
}
