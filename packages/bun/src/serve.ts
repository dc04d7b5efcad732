// serve(app) on Bun.serve: Bun's own Request goes to the app untouched and the app's Response comes back
// as is (helper responses are materialised into native ones). Graceful close with the common deadline.

import {
  type App,
  type CloseOptions,
  DEFAULT_HOSTNAME,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  formatUrl,
  type Runtime,
  type ServeInfo,
  type ServeOptions,
  type Server,
  toFetchResponse,
} from "@asyncview/core";

/** Bun's native cap on request bodies, set by this adapter: 64 MiB (Bun's own default is 128 MiB). */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;

export interface BunServeOptions extends ServeOptions {
  /** Largest request body Bun accepts, in bytes; beyond it Bun answers 413 itself. Default 64 MiB. */
  maxBodySize?: number;
}

/** Per-request info for the app; the peer address is looked up only when read. */
class BunInfo implements ServeInfo {
  readonly runtime: Runtime = "bun";
  readonly #server: Bun.Server<undefined>;
  readonly #request: Request;
  constructor(server: Bun.Server<undefined>, request: Request) {
    this.#server = server;
    this.#request = request;
  }
  // No `signal` here: Bun aborts `request.signal` when the client disconnects, and ctx.signal falls back to it.
  get remoteAddress(): string | undefined {
    return this.#server.requestIP(this.#request)?.address;
  }
}

export async function serve(app: App, options: BunServeOptions = {}): Promise<Server> {
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const shutdownTimeout = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
  await app.startup();

  let server: Bun.Server<undefined>;
  try {
    server = Bun.serve({
      port: options.port ?? DEFAULT_PORT,
      hostname,
      maxRequestBodySize: options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
      development: false,
      // Refuse a port another server holds, as node:http and Deno.serve do (no silent load-sharing).
      reusePort: false,
      fetch(request, bunServer) {
        const result = app.handle(request, new BunInfo(bunServer, request));
        return result instanceof Promise ? result.then(toFetchResponse) : toFetchResponse(result);
      },
      error(error) {
        app.logger.error("bun adapter: could not answer the request", { error });
        return new Response('{"error":{"status":500,"code":"internal_error","message":"Internal Server Error"}}', {
          status: 500,
          headers: { "content-type": "application/json; charset=utf-8" },
        });
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new Error(`cannot listen on ${hostname}:${options.port ?? DEFAULT_PORT}: ${code}`, { cause: error });
  }
  const port = server.port ?? 0;
  const url = formatUrl(hostname, port);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing$: Promise<void> | undefined;

  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    closing$ ??= (async () => {
      const timeout = closeOptions.timeout ?? shutdownTimeout;
      const started = Date.now();
      // Stop accepting; idle keep-alive connections close now, busy ones after their response.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finished = await Promise.race([
        server.stop(false).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeout))),
      ]);
      clearTimeout(timer);
      // Past the deadline: cut the remaining connections; their request.signal aborts.
      if (!finished) await server.stop(true);
      await app.shutdown({ timeout: Math.max(0, timeout - (Date.now() - started)) });
      resolveClosed();
    })();
    return closing$;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  return { runtime: "bun", url, hostname, port, close, closed };
}
