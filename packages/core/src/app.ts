// The App: routes, middleware, mounted sub-apps, lifespan hooks, and the one entry for requests (`fetch`, `handle`).
// It is the ASGI-application analog: adapters hand it their runtime's requests through core's pipeline (`app.handle`).

import { abortedByShutdown, shuttingDown } from "./admission.ts";
import { BlockingDetector, type BlockingDetectorOptions } from "./blocking-detector.ts";
import type { ChannelLayer, SocketMessage } from "./channel-layer.ts";
import { defaultChannelLayer } from "./default-channel-layer.ts";
import { compose } from "./compose.ts";
import { type AppShared, pathOf, RequestContext } from "./context.ts";
import { runInRequestScope } from "./context-var.ts";
import { TaskGroup } from "./task-group.ts";
import { within, type Task } from "./timeout.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { consoleLogger } from "./logger.ts";
import { Router } from "./router.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "./socket.ts";
import { LARGEST_MESSAGE, socketView, type SocketHandler, type SocketOptions } from "./socket-route.ts";
import { TaskTracker } from "./tasks.ts";
import { asError } from "./thrown.ts";
import type { Context, Logger, Middleware, ParamsOf, Responder, ServeInfo, View } from "./types.ts";

export interface AppOptions {
  /** Development mode: 500 responses carry the error message and stack. Default false. */
  debug?: boolean;
  /** Where errors and lifecycle events go. Default: JSON lines on the console. */
  logger?: Logger;
  /**
   * The blocking detector: warn when a view holds the event loop past a threshold (default 100 ms).
   * Default: on when `debug` is, off otherwise. `true`, `false`, or `{ thresholdMs }`.
   */
  blockingDetector?: boolean | BlockingDetectorOptions;
  /**
   * Where rooms live (`socket.join`, `app.publish`). Default: in this process (`memoryChannelLayer()`); pass a shared
   * one (Redis) for rooms that span processes. The app closes it at shutdown.
   */
  channelLayer?: ChannelLayer;
  /**
   * Run each request in its own context scope (one `AsyncLocalStorage.run`). Default true. With false, a request
   * gets a scope only once something needs one (a ContextVar was made, a thread-sensitive syncToAsync function, see
   * `needRequestScope`); without one, `requestId()` and `requestKey()` are undefined in views and your log lines
   * carry no request id (asyncview's access log keeps its ids). Saves 3-5 µs of CPU a request on Deno (README).
   */
  requestScope?: boolean;
}

export interface ShutdownOptions {
  /**
   * The shutdown deadline, in ms from the call: `waitUntil` work and app tasks are waited for until then, then each
   * shutdown hook is awaited until then at most (one still running is logged at error level and left behind; the
   * next hooks still run). Mounted apps get what is left. Default 10,000.
   */
  timeout?: number;
}

type Hook = () => void | Promise<void>;
type Dispatch = (request: Request, ctx: Context) => Response | Promise<Response>;

const ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export class App {
  readonly debug: boolean;
  readonly logger: Logger;
  /** Work registered with `ctx.waitUntil`, awaited by `shutdown()`. */
  readonly tasks: TaskTracker;
  /** The blocking detector when enabled; `snapshot()` gives its counts. */
  readonly blocking: BlockingDetector | undefined;
  /** Carries room messages; see `AppOptions.channelLayer`. */
  readonly channelLayer: ChannelLayer;
  readonly #scoped: boolean;
  readonly #router = new Router<View<never>>();
  readonly #middleware: Middleware[] = [];
  readonly #mounts: { prefix: string; app: App }[] = [];
  readonly #startup: Hook[] = [];
  readonly #shutdown: Hook[] = [];
  #handler: Dispatch | undefined;
  /** Set once this app, or an app it is mounted in, has served: routes, middleware and mounts are then refused. */
  #sealed = false;
  #group: TaskGroup | undefined;
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  /** Turns what a layer threw into its response; made once, handed to every request's context. */
  readonly #recover = (error: unknown, request: Request, ctx: Context): Response => this.#fail(error, request, ctx);
  readonly #layer = (): ChannelLayer => this.channelLayer;
  /** What each request's context reads from this app. */
  readonly #shared: AppShared;
  #largestMessage = 0;

  constructor(options: AppOptions = {}) {
    this.debug = options.debug ?? false;
    this.logger = options.logger ?? consoleLogger;
    this.tasks = new TaskTracker(this.logger);
    this.channelLayer = options.channelLayer ?? defaultChannelLayer();
    this.#scoped = options.requestScope !== false;
    const detector = options.blockingDetector ?? this.debug;
    this.blocking = detector === false ? undefined : new BlockingDetector(this.logger, detector === true ? {} : detector);
    this.#shared = { tasks: this.tasks, logger: this.logger, detector: this.blocking, recover: this.#recover, channelLayer: this.#layer };
  }

  /** The routes this app and its mounted apps serve, method and full pattern (read-only: for tools, such as `pnpm bench --app`). */
  routes(): { method: string; pattern: string }[] {
    const mounted = this.#mounts.flatMap(({ prefix, app }) => app.routes().map((r) => ({ method: r.method, pattern: r.pattern === "/" ? prefix : prefix + r.pattern })));
    return [...this.#router.list(), ...mounted];
  }

  /** Registers `view` for `method` (or several) on `pattern`. Patterns: `/static`, `/:param`, trailing `/*`. */
  route<Path extends string>(method: string | string[], pattern: Path, view: View<ParamsOf<Path>>): this {
    this.#assertOpen();
    for (const m of Array.isArray(method) ? method : [method]) this.#router.add(m, pattern, view as View<never>);
    return this;
  }

  get<Path extends string>(pattern: Path, view: View<ParamsOf<Path>>): this {
    return this.route("GET", pattern, view);
  }
  post<Path extends string>(pattern: Path, view: View<ParamsOf<Path>>): this {
    return this.route("POST", pattern, view);
  }
  put<Path extends string>(pattern: Path, view: View<ParamsOf<Path>>): this {
    return this.route("PUT", pattern, view);
  }
  patch<Path extends string>(pattern: Path, view: View<ParamsOf<Path>>): this {
    return this.route("PATCH", pattern, view);
  }
  delete<Path extends string>(pattern: Path, view: View<ParamsOf<Path>>): this {
    return this.route("DELETE", pattern, view);
  }
  /** GET, POST, PUT, PATCH, DELETE and OPTIONS (HEAD follows GET). */
  all<Path extends string>(pattern: Path, view: View<ParamsOf<Path>>): this {
    return this.route(ALL_METHODS, pattern, view);
  }

  /**
   * Registers a WebSocket route on `pattern` (a GET route: middleware runs before the upgrade and may refuse it with
   * any response). A plain request gets 426; otherwise `handler(socket, ctx)` runs once the socket is open.
   */
  ws<Path extends string>(pattern: Path, handler: SocketHandler<ParamsOf<Path>>, options: SocketOptions = {}): this {
    this.#largestMessage = Math.max(this.#largestMessage, options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
    return this.route("GET", pattern, socketView(handler as SocketHandler<never>, options, this.#layer, this.logger) as View<ParamsOf<Path>>);
  }

  /** The largest `maxMessageSize` of this app's socket routes and its mounts' (for adapters: `largestMessageSize`). */
  [LARGEST_MESSAGE](): number {
    return Math.max(this.#largestMessage, ...this.#mounts.map(({ app }) => app[LARGEST_MESSAGE]()));
  }

  /** Sends `message` to every socket in `room`, through the channel layer (every process, when it is shared). */
  publish(room: string, message: SocketMessage): Promise<void> {
    return this.channelLayer.publish(room, message);
  }

  /** Adds middleware around every request this app handles, in registration order (outermost first). */
  use(middleware: Middleware): this {
    this.#assertOpen();
    this.#middleware.push(middleware);
    return this;
  }

  /**
   * Serves `app` under `prefix` (`/api` serves `/api` and `/api/...`); its middleware and hooks come along. Its
   * routes are tried after this app's own routes that have the request's method, and before later mounts.
   */
  mount(prefix: string, app: App): this {
    this.#assertOpen();
    if (!/^\/[^?#]*[^/?#]$/.test(prefix)) throw new TypeError(`mount prefix must look like "/api", got ${JSON.stringify(prefix)}`);
    if (app === this) throw new TypeError("an app cannot mount itself");
    this.#mounts.push({ prefix, app });
    return this;
  }

  /** Runs before the server accepts requests (ASGI lifespan startup). A failure stops the server from starting. */
  onStartup(hook: Hook): this {
    this.#startup.push(hook);
    return this;
  }

  /** Runs after in-flight requests finished and background work drained (ASGI lifespan shutdown). */
  onShutdown(hook: Hook): this {
    this.#shutdown.push(hook);
    return this;
  }

  /**
   * Starts `task` in the app's task group: background work not tied to a request. Its signal aborts when the
   * shutdown deadline passes; shutdown waits for it until then; a failure is logged.
   */
  spawn<T>(task: Task<T>): Promise<T> {
    this.#group ??= new TaskGroup({ logger: this.logger, name: "app tasks" });
    return this.#group.spawn(task);
  }

  /**
   * Runs startup hooks once (mounted apps first), waiting for each however long it takes. Adapters call it before
   * listening. A hook that throws rejects it with what it threw (a value that is no Error, wrapped in one that says so).
   */
  startup(): Promise<void> {
    return (this.#started ??= (async () => {
      // Held while the hooks run: a hook waiting on something that never settles would otherwise leave the event loop
      // empty, which ends Node (exit 13) and Deno at once and spins Bun at 100% CPU (oven-sh/bun#14951).
      const hold = setInterval(() => {}, 3_600_000);
      try {
        for (const { app } of this.#mounts) await app.startup();
        for (const hook of this.#startup) await hook();
      } catch (error) {
        throw asError(error, "startup hook");
      } finally {
        clearInterval(hold);
      }
      this.blocking?.start();
    })());
  }

  /**
   * Drains `waitUntil` work, then runs shutdown hooks once, in order, all within the deadline (`options.timeout`); a
   * hook that fails, or is still running at the deadline, is logged and the next one runs.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    return (this.#stopped ??= (async () => {
      const timeout = options.timeout ?? 10_000;
      const deadline = Date.now() + timeout;
      const [drained, groupDrained] = await Promise.all([this.tasks.drain(timeout), this.#group?.drain(timeout) ?? true]);
      if (!groupDrained) this.logger.warn("shutdown: app tasks were cancelled at the deadline", { timeoutMs: timeout });
      if (!drained) {
        this.logger.warn("shutdown: background tasks still running after the deadline", {
          pending: this.tasks.size,
          timeoutMs: timeout,
        });
      }
      for (const [index, hook] of this.#shutdown.entries()) await this.#runShutdownHook(hook, index, deadline);
      for (const { app } of this.#mounts) await app.shutdown({ timeout: Math.max(0, deadline - Date.now()) });
      this.blocking?.stop();
      await this.channelLayer.close().catch((error: unknown) => this.logger.error("closing the channel layer failed", { error }));
    })());
  }

  /** Runs shutdown hook `index`, waiting for it until `deadline` at most; its failure, or its still running then, is logged. */
  async #runShutdownHook(hook: Hook, index: number, deadline: number): Promise<void> {
    const which = { hook: index, name: hook.name === "" ? undefined : hook.name };
    const run = (async () => hook())().catch((error: unknown) => this.logger.error("shutdown hook failed", { ...which, error }));
    const waitedMs = Math.max(0, deadline - Date.now());
    if (!(await within(run, waitedMs))) {
      this.logger.error("shutdown hook did not finish by the shutdown deadline; not waiting for it", { ...which, waitedMs });
    }
  }

  /** The one entry point: answers any request; the promise never rejects. */
  async fetch(request: Request, info: ServeInfo = {}): Promise<Response> {
    return this.handle(request, info);
  }

  /**
   * `fetch` for adapters: the same answer, returned synchronously when every layer answered synchronously,
   * which saves a few promise hops per request on the hot path. Never throws (with a responder, what its `respond`
   * throws comes through).
   */
  handle(request: Request, info?: ServeInfo): Response | Promise<Response>;
  /** `handle`, then `responder.respond` with the answer, still in the request's context (what adapters' writers run in). */
  handle<T>(request: Request, info: ServeInfo, responder: Responder<T>): T | Promise<T>;
  handle<T>(request: Request, info: ServeInfo = {}, responder?: Responder<T>): Response | Promise<Response> | T | Promise<T> {
    return runInRequestScope(request, () => this.#handle(request, info, responder), info, this.#scoped);
  }

  // The request's one trip through the app. The answer reaches `responder` in the same promise step that settles the
  // view's, and while it waits the request holds no more than its context and one scope for the two callbacks: on
  // Bun each extra closure layer kept about 80 bytes per waiting request (issue 13's in-flight memory).
  #handle<T>(request: Request, info: ServeInfo, responder: Responder<T> | undefined): Response | Promise<Response> | T | Promise<T> {
    const ctx = new RequestContext(request, info, this.#shared);
    let result: Response | Promise<Response>;
    try {
      if (!this.#handler) {
        this.#seal();
        this.#handler = compose(this.#middleware, (req, c) => this.#dispatch(req, c, pathOf(req.url), ""), this.#recover);
      }
      result = this.#handler(request, ctx);
    } catch (error) {
      const failure = this.#fail(error, request, ctx);
      return responder === undefined ? failure : responder.respond(failure);
    }
    if (result instanceof Promise) return this.#settle(result, request, ctx, responder);
    const response = this.#finish(result, request, ctx);
    return responder === undefined ? response : responder.respond(response);
  }

  /** The view's promised answer, checked (or its failure as a response), handed to `responder` when there is one. */
  #settle<T>(result: Promise<Response>, request: Request, ctx: Context, responder: Responder<T> | undefined): Promise<Response> | Promise<T> {
    if (responder === undefined) {
      return result.then(
        (response) => this.#finish(response, request, ctx),
        (error: unknown) => this.#fail(error, request, ctx),
      );
    }
    return result.then(
      (response) => responder.respond(this.#finish(response, request, ctx)),
      (error: unknown) => responder.respond(this.#fail(error, request, ctx)),
    );
  }

  #finish(response: Response, request: Request, ctx: Context): Response {
    if (!(response instanceof Response)) {
      return this.#fail(new TypeError(`${ctx.route ?? "view"} returned ${describe(response)}, not a Response`), request, ctx);
    }
    if (request.method === "HEAD" && response.body !== null) {
      response.body.cancel().catch(() => {});
      return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return response;
  }

  /**
   * Routes by method and path together: this app's routes first (static, then params, then wildcards; see
   * Router), then its mounts in registration order, each the same way. When no route anywhere has the method,
   * this app answers: 404 if no route matches the path, else 405 (or 204 to OPTIONS) with `Allow` the union.
   */
  #dispatch(request: Request, ctx: Context, pathname: string, prefix: string): Response | Promise<Response> {
    const method = request.method;
    const match = this.#router.match(method, pathname);
    if (match) {
      const rc = ctx as RequestContext;
      rc.route = prefix + match.pattern;
      rc.params = match.params;
      const view = match.handler as unknown as View;
      return rc.detector === undefined ? view(request, ctx) : timed(rc.detector, `${method} ${rc.route}`, view, request, ctx);
    }
    for (const { prefix: at, app } of this.#mounts) {
      const rest = below(at, pathname);
      if (rest !== undefined && app.#serves(method, rest)) return app.#handleMounted(request, ctx, rest, prefix + at);
    }
    const methods = new Set<string>();
    this.#allow(pathname, methods);
    if (methods.size === 0) throw new HttpError(404, `no route matches ${method} ${pathname}`);
    const allow = allowed(methods);
    if (method === "OPTIONS") return new Response(null, { status: 204, headers: { allow } });
    throw new HttpError(405, `method ${method} not allowed on ${prefix}${pathname}; allowed: ${allow}`, {
      headers: { allow },
      details: { allow: allow.split(", ") },
    });
  }

  /** Whether a route in this app or its mounts has `method` for `pathname`. */
  #serves(method: string, pathname: string): boolean {
    if (this.#router.match(method, pathname)) return true;
    return this.#mounts.some(({ prefix, app }) => {
      const rest = below(prefix, pathname);
      return rest !== undefined && app.#serves(method, rest);
    });
  }

  /** Adds the methods of every route on `pathname`, in this app and its mounts, to `into`. */
  #allow(pathname: string, into: Set<string>): void {
    this.#router.allow(pathname, into);
    for (const { prefix, app } of this.#mounts) {
      const rest = below(prefix, pathname);
      if (rest !== undefined) app.#allow(rest, into);
    }
  }

  #handleMounted(request: Request, ctx: Context, pathname: string, prefix: string): Response | Promise<Response> {
    const inner: Dispatch = (req, c) => this.#dispatch(req, c, pathname, prefix);
    return compose(this.#middleware, inner, (ctx as RequestContext).recover)(request, ctx);
  }

  /**
   * The response for what a layer threw, recorded as `ctx.error` for the middleware outside it. Logged once: an error
   * a middleware rethrows after reading it from `ctx.error` is not logged again.
   */
  #fail(error: unknown, request: Request, ctx: Context): Response {
    const rc = ctx as RequestContext;
    const seen = error !== undefined && rc.error === error;
    rc.error = error;
    // Cancelled through ctx.signal (the client left, or shutdown gave up on it): expected, not logged. A client that
    // left hears nothing, which is nginx's 499 for the record; where shutdown gave up and the connection is still open
    // (Deno cannot cut it), the client gets the 503 it can act on.
    if (ctx.signal.aborted && (error === ctx.signal.reason || (error instanceof Error && error.name === "AbortError"))) {
      if (abortedByShutdown(ctx.signal.reason)) return errorResponse(shuttingDown());
      return errorResponse(new HttpError(499, "the request was cancelled before it finished", { code: "request_cancelled" }));
    }
    if (!seen && (!(error instanceof HttpError) || error.status >= 500)) {
      this.logger.error("request failed", { method: request.method, url: request.url, route: ctx.route, error });
    }
    return errorResponse(error, this.debug);
  }

  /** Closes this app and every app mounted in it, however deep, to new routes, middleware and mounts. */
  #seal(): void {
    this.#sealed = true;
    for (const { app } of this.#mounts) app.#seal();
  }

  #assertOpen(): void {
    if (this.#sealed) throw new Error("routes and middleware must be added before the app serves its first request");
  }
}

/** The `Allow` header for a set of methods: HEAD with GET, OPTIONS always, sorted. */
function allowed(methods: Set<string>): string {
  if (methods.has("GET")) methods.add("HEAD");
  methods.add("OPTIONS");
  return [...methods].sort().join(", ");
}

/** The path below a mount `prefix` (`/api` serves `/api` as "/" and `/api/x` as "/x"), or undefined. */
function below(prefix: string, pathname: string): string | undefined {
  if (pathname === prefix) return "/";
  const under = pathname.startsWith(prefix) && pathname.charCodeAt(prefix.length) === 47; /* "/" */
  return under ? pathname.slice(prefix.length) : undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value)})`;
  return typeof value;
}

/**
 * `view` run under the blocking detector. Apart from `#dispatch`: a closure there would make every request allocate
 * the variables it captures in a scope object, detector or not (about 100 bytes per waiting request on Bun).
 */
function timed(detector: BlockingDetector, name: string, view: View, request: Request, ctx: Context): Response | Promise<Response> {
  let result: Response | Promise<Response> | undefined;
  try {
    result = detector.time(name, () => view(request, ctx));
  } finally {
    if (!(result instanceof Promise)) detector.done(name); // a sync answer or a sync throw ends it now
  }
  return result instanceof Promise ? result.finally(() => detector.done(name)) : result;
}
