// serve(app) on Deno.serve: Deno's own Request goes to the app untouched and the app's Response goes back through
// core's relay (helpers materialised, streams checked at their first chunk), socket routes upgrade through
// Deno.upgradeWebSocket. The shared lifecycle closes it.

import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import process from "node:process";
import { type App, errorResponse, HttpError, type Runtime, type ServeOptions, type Server } from "@asyncview/core";
import {
  ABORT_GRACE_MS,
  acceptErrorReporter,
  connectionLimits,
  DEFAULT_HOSTNAME,
  globalEventHooks,
  headersTooLarge,
  installRuntime,
  type ListenPlan,
  listenError,
  badHost,
  isUrlHost,
  missingHost,
  nativeResponse,
  type PipelineExchange,
  type ProcessHost,
  type Responder,
  requestHeadSize,
  RequestPipeline,
  type ServeInfo,
  type ServerSocket,
  serverHandle,
  SocketRegistry,
  serveWorkers,
  toFetchResponse,
  type Upgrade,
  upgradeOf,
} from "@asyncview/core/adapter";

import "./interop.ts";

const encoder = new TextEncoder();
installRuntime({
  AsyncLocalStorage,
  env: (name) => Deno.env.get(name),
  stdout: (text) => {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length; ) written += Deno.stdout.writeSync(bytes.subarray(written));
  },
  ...globalEventHooks(globalThis),
  exit: (code) => Deno.exit(code),
});

/** What the requests of one server share. */
interface Serving {
  app: App;
  sockets: SocketRegistry;
  /** The signals views read, of requests whose response is not out of the app's hands yet (the deadline aborts them). */
  live: Set<AbortController>;
}

/**
 * One request on Deno: the peer info the pipeline gets and the writer the app's answer goes to (fields rather than
 * closures: a waiting request holds this object and nothing per callback). Its `signal` aborts only when the client
 * leaves or the shutdown deadline passes. Deno's own `request.signal` also aborts after every successful response
 * (its "legacy abort", the default in Deno 2), so it is trusted only until the view has answered; after that, a
 * streamed body tells a client that left (the stream is cancelled) from a finished one. Nothing is created unless
 * the view reads `signal`; a signal that was read stays in `live` until the response is out of the app's hands, so
 * the deadline can abort it.
 */
class DenoRequest implements ServeInfo, Responder<Response> {
  /** The request's passage through core's pipeline, set once it began. */
  exchange!: PipelineExchange;
  readonly #serving: Serving;
  readonly #request: Request;
  readonly #info: Deno.ServeHandlerInfo<Deno.NetAddr>;
  #controller: AbortController | undefined;
  #answered = false;
  #ended = false;

  constructor(serving: Serving, request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) {
    this.#serving = serving;
    this.#request = request;
    this.#info = info;
  }

  get runtime(): Runtime {
    return "deno";
  }

  get upgrade(): boolean {
    return true;
  }

  get remoteAddress(): string {
    return this.#info.remoteAddr.hostname;
  }

  get remotePort(): number {
    return this.#info.remoteAddr.port;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    if (!this.#ended) this.#serving.live.add(controller);
    const native = this.#request.signal;
    const onAbort = () => {
      if (!this.#answered) controller.abort(new DOMException("client disconnected", "AbortError"));
    };
    if (native.aborted) onAbort();
    else native.addEventListener("abort", onAbort, { once: true });
    return controller.signal;
  }

  /**
   * The native Response to hand Deno, through core's relay (`exchange` ends when the body is out of the app's hands);
   * a socket route's answer becomes the upgrade.
   */
  respond(response: Response): Response | Promise<Response> {
    const { exchange } = this;
    const { app, sockets, live } = this.#serving;
    this.#answered = true;
    const upgrade = upgradeOf(response);
    if (upgrade !== undefined) {
      // The socket holds its place under limitConcurrency (and gets its access-log line) until it closes.
      void upgrade.socket.closed.then(() => exchange.end(101));
      return upgradeSocket(this.#request, upgrade, sockets);
    }
    // 499 in the log: the client left before the view answered (request.signal aborted before Deno sent anything) or mid-body.
    const leftAlready = exchange.logged && this.#request.signal.aborted;
    return nativeResponse(app, this.#request, response, (clientLeft, status) => {
      exchange.end(clientLeft || leftAlready ? 499 : status);
      this.#ended = true;
      const controller = this.#controller;
      if (controller === undefined) return;
      live.delete(controller);
      if (clientLeft) controller.abort(new DOMException("client disconnected", "AbortError"));
    });
  }
}

/**
 * Upgrades with Deno.upgradeWebSocket and wires the socket to core's. Deno has no message-size option: core closes
 * with 1009 once an oversize message has arrived (Deno's own cap is 64 MiB). Deno exposes no ping or pong, so its
 * native idle timeout (whole seconds, pings included) stands in for core's timer.
 */
function upgradeSocket(request: Request, upgrade: Upgrade, sockets: SocketRegistry): Response {
  const idleTimeout = upgrade.idleTimeout === 0 ? 0 : Math.max(1, Math.round(upgrade.idleTimeout / 1000));
  let native: { socket: WebSocket; response: Response };
  try {
    // The subprotocol goes on the 101 directly: Deno's own check splits the offer on ", " only, so it refuses a
    // valid `a,b` (core has already chosen from the offer).
    native = Deno.upgradeWebSocket(request, { idleTimeout });
    if (upgrade.protocol !== "") native.response.headers.set("sec-websocket-protocol", upgrade.protocol);
  } catch (error) {
    upgrade.socket.ended(1006, "");
    return toFetchResponse(errorResponse(new HttpError(400, `malformed WebSocket handshake: ${String(error)}`, { code: "bad_websocket_handshake" })));
  }
  const ws = native.socket;
  const socket: ServerSocket = upgrade.socket;
  ws.binaryType = "arraybuffer";
  ws.onopen = () =>
    sockets.attach(socket, {
      send: (message) => ws.send(message as string | Uint8Array<ArrayBuffer>),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      close: (code, reason) => ws.close(code, reason),
      // No abrupt close in Deno's WebSocket: a close frame (1001) queued behind what waits, and the socket is over
      // for asyncview at once (1006: handler loop ends, rooms left); Deno releases the connection when it can.
      terminate: () => {
        ws.close(1001, "going away");
        socket.ended(1006, "");
      },
    });
  ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) =>
    socket.receive(typeof event.data === "string" ? event.data : new Uint8Array(event.data));
  ws.onclose = (event: CloseEvent) => socket.ended(event.code, event.reason);
  ws.onerror = () => {};
  return native.response;
}

/**
 * Workers are `deno run` with these flags unless ASYNCVIEW_RUNTIME_FLAGS says otherwise (the CLI passes its own): Deno
 * does not tell a process the flags it was started with. `--unstable-net` is what `reusePort` needs.
 */
const host: ProcessHost = { runtime: "deno", current: process, spawn, runtimeFlags: ["run", "--allow-all", "--unstable-net"] };

/** Serves `app`; with `workers` (or `limitMaxRequests`) from worker processes under a supervisor (core's supervisor.ts). */
export function serve(app: App, options: ServeOptions = {}): Promise<Server> {
  return serveWorkers(options, host, (plan) => serveHere(app, options, plan));
}

async function serveHere(app: App, options: ServeOptions, plan: ListenPlan): Promise<Server> {
  const sockets = new SocketRegistry();
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const { port, onRequest } = plan;
  const pipeline = new RequestPipeline(options);
  await app.startup();
  const live = new Set<AbortController>();
  const serving: Serving = { app, sockets, live };
  const limits = connectionLimits(options);
  const reportAcceptError = acceptErrorReporter(app.logger);
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    onRequest?.();
    // Reading the headers now also keeps them readable once Deno has closed the request, so a line logged
    // later (a background failure, an unhandled rejection) still finds the request's x-request-id.
    const host = request.headers.get("host");
    if (host === null) return toFetchResponse(errorResponse(missingHost()));
    if (!isUrlHost(host)) return toFetchResponse(errorResponse(badHost(host)));
    // Deno.serve has no head limit of its own short of hyper's (400 without a body, around 100 KB): the adapter counts it.
    if (requestHeadSize(request) > limits.maxHeaderSize) return toFetchResponse(errorResponse(headersTooLarge(limits.maxHeaderSize)));
    const peer = new DenoRequest(serving, request, info);
    // The gate, the deadline, proxy headers and the access log (core's pipeline); `exchange` is the app's ServeInfo.
    const exchange = (peer.exchange = pipeline.begin(peer, request.method, request.url, (name) => request.headers.get(name) ?? undefined));
    return exchange.handle(app, request, peer);
  };
  const listen = (port: number) =>
    Deno.serve(
      {
        port,
        hostname,
        tcpBacklog: limits.backlog,
        reusePort: plan.reusePort,
        onListen() {},
        onError(error) {
          // `undefined` is core's relay ending a body it already logged (see nativeResponse).
          if (error !== undefined) app.logger.error("request failed", { error });
          return toFetchResponse(errorResponse(error, app.debug));
        },
      },
      handler,
    );
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = listen(port);
  } catch (error) {
    throw listenError(hostname, port, error);
  }
  // Deno.serve's accept loop ends at the first accept error (EMFILE: out of file descriptors): `finished` rejects,
  // the connections it accepted but had not read yet close (those already served go on), and the process would
  // exit. The error is logged once per burst and the same port is listened on again (retried every 100 ms while
  // even the listening socket cannot be had).
  const boundPort = server.addr.port;
  let closing = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const relisten = () => {
    if (closing) return;
    try {
      server = listen(boundPort);
      watch(server);
    } catch (error) {
      reportAcceptError(error);
      retry = setTimeout(relisten, 100);
    }
  };
  const watch = (current: Deno.HttpServer<Deno.NetAddr>) => {
    current.finished.catch((error: unknown) => {
      if (closing) return;
      reportAcceptError(error);
      relisten();
    });
  };
  watch(server);
  return serverHandle(
    {
      runtime: "deno",
      logger: app.logger,
      hostname,
      port: boundPort,
      // shutdown(): stop accepting, let in-flight requests (and their response bodies) finish.
      // Sockets first: Deno's shutdown() closes open sockets itself (1001 "Server shutting down"), before the handlers
      // could finish. It starts once they have closed, or after ABORT_GRACE_MS for peers slow to answer the close.
      drain: async () => {
        closing = true;
        clearTimeout(retry);
        const socketsClosed = sockets.drain();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([socketsClosed, new Promise((resolve) => (timer = setTimeout(resolve, ABORT_GRACE_MS)))]);
        clearTimeout(timer);
        await Promise.all([socketsClosed, server.shutdown()]);
      },
      // Past the deadline: abort the signals of the requests still running. Deno has no way to cut a connection
      // once shutdown() began (aborting Deno.serve's signal then throws BadResource), so a view that ignores its
      // signal keeps its connection until the process exits.
      cut: () => {
        void sockets.cut();
        for (const controller of live) controller.abort(new DOMException("server shutting down", "AbortError"));
        return server.finished;
      },
      release: (timeLeft) => app.shutdown({ timeout: timeLeft }),
    },
    options,
  );
}
