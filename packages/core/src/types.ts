// The shapes every other module agrees on: views, middleware, context and what an adapter tells the app.
// Runtime-neutral by rule: only Web-standard types (Request, Response, AbortSignal, URL) appear here.

/** The runtime (or server model) that is serving the request. */
export type Runtime = "node" | "bun" | "deno" | "blocking" | "unknown";

/** Route parameters decoded from the path: `/users/:id` gives `{ id: string }`. */
export type Params = Record<string, string>;

type Trim<S extends string> = S extends `${infer Name}?` ? Name : S;
type SegmentParams<S extends string> = S extends `:${infer Name}`
  ? { [K in Trim<Name>]: string }
  : S extends "*"
    ? { "*": string }
    : {};
type Merge<T> = { [K in keyof T]: T[K] };

/** The typed params of a path pattern: `ParamsOf<"/a/:x/*">` is `{ x: string; "*": string }`. */
export type ParamsOf<Path extends string> = string extends Path
  ? Params
  : Path extends `${infer Head}/${infer Rest}`
    ? Merge<SegmentParams<Head> & ParamsOf<Rest>>
    : Merge<SegmentParams<Path>>;

/** What an adapter passes with each request to `app.fetch`. Every field is optional. */
export interface ServeInfo {
  /** Which runtime serves this request (shown to views as `ctx.runtime`). */
  runtime?: Runtime;
  /** Aborts when the client disconnects or the server gives up on the request at shutdown. */
  signal?: AbortSignal;
  /** The socket peer's address, when the adapter knows it. */
  remoteAddress?: string;
  /** True when the adapter can upgrade this request to a WebSocket (socket routes answer 501 otherwise). */
  upgrade?: boolean;
  /** The socket peer's port, when the adapter knows it. */
  remotePort?: number;
  /** The client as trusted proxy headers name it (`proxyHeaders`); else ctx.client is the socket peer. */
  client?: Client;
  /** The URL as the client asked for it, when a trusted proxy changed its scheme or host (ctx.url parses it). */
  url?: string;
  /** The request's id, when the adapter fixed it already (the access log does); else chosen on first use. */
  requestId?: string;
  /**
   * The request's `x-request-id` header as the adapter read it at arrival (null: none), which the id is then made
   * from on first use. Without it the request's context holds the request, to read the header then.
   */
  requestIdHeader?: string | null;
}

/**
 * Where `app.handle` hands a request's answer: an adapter's writer, an object rather than a callback so that a
 * waiting request holds no closure for it. Called by `app.handle`, `respond` runs in the request's context (a
 * stream's chunks are pulled and a body failure is logged with its request id); the pipeline's own 503s (refused at
 * the gate, past the deadline) reach it outside any request.
 */
export interface Responder<T> {
  respond(response: Response): T | Promise<T>;
}

/** The client of a request: IP address and port (0 when a proxy named the client without its port). */
export interface Client {
  readonly address: string;
  readonly port: number;
}

/** The second argument of every view and middleware. */
export interface Context<P = Params> {
  /** Decoded path parameters of the matched route. */
  readonly params: P;
  /** The parsed request URL. */
  readonly url: URL;
  /** The query string (`getAll` for repeated keys). */
  readonly query: URLSearchParams;
  /**
   * Aborts when the client disconnects or the server shuts down: pass it to fetch, timers, DB calls. In a socket
   * handler it aborts when the socket closes, for any reason.
   */
  readonly signal: AbortSignal;
  /** Which runtime serves this request. */
  readonly runtime: Runtime;
  /** The client's IP address as the socket reports it (no proxy headers are trusted), when the adapter knows it. */
  readonly remoteAddress: string | undefined;
  /**
   * The client's address and port: the socket peer's, or, with `proxyHeaders` and a trusted peer, the client the
   * proxy headers name (port 0 when they do not say). Undefined when the adapter does not know the peer.
   */
  readonly client: Client | undefined;
  /** The matched route pattern (`/users/:id`), or null before routing or when nothing matched. */
  readonly route: string | null;
  /** Free-form per-request storage shared by middleware and the view. */
  readonly state: Map<string, unknown>;
  /**
   * What was thrown below the middleware reading it, when the response `next()` returned was made from it: an
   * `HttpError` (the router's 404 and 405 included) or any other exception (a 500). Undefined when nothing failed.
   * `unknown`, since anything can be thrown.
   */
  readonly error: unknown;
  /** Keep `promise` running after the response: tracked, failures logged, awaited at shutdown. */
  waitUntil(promise: Promise<unknown>): void;
  /**
   * Starts `task` now in this request's task group (the seed's create_task): it gets a signal that aborts when
   * the client leaves or a sibling task fails; it may outlive the response; shutdown waits for it; a failure
   * nobody awaited is logged.
   */
  spawn<T>(task: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T>;
  /** Sends `message` to every socket in `room` (through the app's channel layer: other processes too when shared). */
  publish(room: string, message: string | Uint8Array): Promise<void>;
}

/** An async view: the unit asyncview serves on every runtime. */
export type View<P = Params> = (request: Request, ctx: Context<P>) => Response | Promise<Response>;

/**
 * Onion middleware: code before `next()` runs on the way in, code after it on the way out. `next()` resolves to the
 * response, error responses included (read `response.status`; the error itself is `ctx.error`).
 */
export type Middleware = (
  request: Request,
  ctx: Context,
  next: () => Promise<Response>,
) => Response | Promise<Response>;

/** Where the app writes what happened. Defaults to one JSON line per event on the console. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
