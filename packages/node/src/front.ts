// The node:http front shared by the Node adapter and the blocking baseline: it listens, turns each request's
// target into an absolute URL (one Host rule), counts requests in flight, and drains or cuts them at close.

import { createServer, type IncomingMessage, type RequestListener, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorResponse, HttpError } from "@asyncview/core";
import { ABORT_GRACE_MS, listenError, type Listener, missingHost } from "@asyncview/core/adapter";
import { writeResponse } from "./response.ts";

/** A request the front accepted: its absolute URL, built once. */
export type FrontHandler = (req: IncomingMessage, res: ServerResponse, url: string) => void;

/** A Host header that can stand in a URL authority: name or IPv4, or a bracketed IPv6, and an optional port. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
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
    if (!SAFE_HOST.test(host)) return new HttpError(400, `malformed Host header ${JSON.stringify(host.slice(0, 100))}`, { code: "bad_host" });
    return `${scheme}://${host}${target}`;
  }
  if (ABSOLUTE_FORM.test(target) && URL.canParse(target)) return target;
  return new HttpError(400, `unsupported request target ${JSON.stringify(target.slice(0, 100))}`, { code: "bad_request_target" });
}

export class NodeFront implements Omit<Listener, "release"> {
  readonly runtime: Listener["runtime"];
  readonly server: HttpServer;
  readonly scheme = "http";
  hostname = "";
  port = 0;
  /** True once `drain()` began: responses then carry `Connection: close`, and signals say "server shutting down". */
  closing = false;
  #inflight = 0;
  #idle: (() => void) | undefined;
  #listenerClosed: Promise<void> | undefined;

  constructor(runtime: Listener["runtime"], handler: FrontHandler, wrap: (listener: RequestListener) => RequestListener = (l) => l) {
    this.runtime = runtime;
    const accept: RequestListener = (req, res) => {
      const url = requestUrl(req, this.scheme);
      if (typeof url === "string") return handler(req, res, url);
      this.enter();
      void writeResponse(res, errorResponse(url), true);
      this.leave();
    };
    this.server = createServer({ requireHostHeader: false }, wrap(accept));
  }

  /** Binds; throws `cannot listen on HOST:PORT: CODE`. */
  async listen(port: number, hostname: string): Promise<void> {
    const { server } = this;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw listenError(hostname, port, error);
    });
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
    this.server.closeIdleConnections();
    await this.#untilIdle();
    // Keep-alive connections that went idle after close began are closed now; one still sending a request
    // that will never count as in flight (a stalled client) gets a short grace, then it is cut.
    this.server.closeIdleConnections();
    const grace = setTimeout(() => this.server.closeAllConnections(), ABORT_GRACE_MS);
    await this.#listenerClosed;
    clearTimeout(grace);
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

export { readBody } from "./body.ts";
export { writeResponse } from "./response.ts";
