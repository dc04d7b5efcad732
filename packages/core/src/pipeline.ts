// What every adapter runs around `app.handle` for each request, written once: the concurrency gate, the request
// deadline, the client and URL from trusted proxy headers, the request id, and the access-log line at the end.

import { accessLogFormatter, type AccessLogSink, type AccessRecord, stdoutSink } from "./access-log.ts";
import { Admission } from "./admission.ts";
import { safeRequestId } from "./context-var.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { type Client, type Forwarded, forwardedUrl, type HeaderReader, readForwarded, TrustedProxies } from "./proxy.ts";
import { BODY_TEXT } from "./responses.ts";
import { DEFAULT_FORWARDED_ALLOW_IPS, type ServeOptions } from "./server.ts";
import type { Runtime, ServeInfo } from "./types.ts";

/** What a pipeline exchange hands requests to: `App.handle`. */
export interface Handler {
  handle(request: Request, info: ServeInfo): Response | Promise<Response>;
  /** The answer handed to `deliver` in the request's own context, so what the writer runs later belongs to it. */
  handle<T>(request: Request, info: ServeInfo, deliver: (response: Response) => T | Promise<T>): T | Promise<T>;
}

/** The ServeOptions the pipeline acts on. */
export type PipelineOptions = Pick<
  ServeOptions,
  "limitConcurrency" | "requestTimeout" | "proxyHeaders" | "forwardedAllowIps" | "accessLog" | "accessLogSink"
>;

const now = (): number => performance.now();
const noop = (): void => {};

/** One per server: the options made ready once, and `begin()` for each request. */
export class RequestPipeline {
  readonly admission: Admission;
  readonly requestTimeout: number | undefined;
  readonly trusted: TrustedProxies | undefined;
  readonly format: ((record: AccessRecord) => string) | undefined;
  readonly sink: AccessLogSink;
  readonly idHeaderAtArrival: boolean;

  /**
   * `idHeaderAtArrival` (default true): read each request's `x-request-id` when it arrives, so its context holds the
   * value rather than the request (see runInRequestScope). Bun says false: reading any header there builds the whole
   * Headers object (about 1 µs per request), and Bun keeps no context value alive past its request anyway.
   */
  constructor(
    options: PipelineOptions = {},
    sink: AccessLogSink = options.accessLogSink ?? stdoutSink,
    { idHeaderAtArrival = true }: { idHeaderAtArrival?: boolean } = {},
  ) {
    this.idHeaderAtArrival = idHeaderAtArrival;
    this.admission = new Admission(options.limitConcurrency);
    const timeout = options.requestTimeout;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
      throw new RangeError(`requestTimeout must be a positive number of ms, got ${timeout}`);
    }
    this.requestTimeout = timeout;
    this.trusted = options.proxyHeaders ? new TrustedProxies(options.forwardedAllowIps ?? DEFAULT_FORWARDED_ALLOW_IPS) : undefined;
    this.format = options.accessLog ? accessLogFormatter(options.accessLog) : undefined;
    this.sink = sink;
  }

  /**
   * A request arrived: it takes its place at the gate (or is refused; `handle` then answers 503), its deadline
   * starts, trusted proxy headers are read. `peer` is the adapter's own per-request info (runtime, signal, socket
   * address and port), read lazily; `header` reads a request header. Call `end()` once the response body finished.
   */
  begin(peer: ServeInfo, method: string, url: string, header: HeaderReader, httpVersion = "1.1"): PipelineExchange {
    return new PipelineExchange(this, peer, method, url, header, httpVersion);
  }
}

/** One request's passage through the pipeline; it is the ServeInfo the app gets. */
export class PipelineExchange implements ServeInfo {
  readonly admitted: boolean;
  /** Whether the access log is on (an adapter then finds out whether the client left, for the 499). */
  readonly logged: boolean;
  readonly requestId: string | undefined;
  readonly requestIdHeader: string | null | undefined;
  readonly #pipeline: RequestPipeline;
  readonly #peer: ServeInfo;
  readonly #method: string;
  readonly #url: string;
  readonly #httpVersion: string;
  readonly #started: number;
  readonly #forwarded: Forwarded | undefined;
  /** The client as the access log shows it, read at arrival (a socket that closed no longer knows its peer). */
  #logClient: Client | undefined;
  #request: Request | undefined;
  #signal: AbortSignal | undefined;
  #deadline: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onDeadline: (() => void) | undefined;
  #answered = false;
  #ended = false;
  #status = 0;
  #bytes: number | undefined;

  constructor(pipeline: RequestPipeline, peer: ServeInfo, method: string, url: string, header: HeaderReader, httpVersion: string) {
    this.#pipeline = pipeline;
    this.#peer = peer;
    this.#method = method;
    this.#url = url;
    this.#httpVersion = httpVersion;
    this.admitted = pipeline.admission.tryEnter();
    this.logged = pipeline.format !== undefined;
    const trusted = pipeline.trusted;
    if (trusted !== undefined && trusted.trusts(peer.remoteAddress)) {
      try {
        this.#forwarded = readForwarded(header, trusted);
      } catch {
        this.#forwarded = undefined; // a header the runtime cannot read: ignored, like a malformed one
      }
    }
    // Read at arrival (a header read, not an id made): the request's context then never holds the request itself.
    this.requestIdHeader = pipeline.idHeaderAtArrival || pipeline.format !== undefined ? (header("x-request-id") ?? null) : undefined;
    if (pipeline.format !== undefined) {
      this.#started = now();
      this.requestId = safeRequestId(this.requestIdHeader ?? undefined);
      this.#logClient = this.client;
    } else {
      this.#started = 0;
      this.requestId = undefined;
    }
    const timeout = pipeline.requestTimeout;
    if (timeout !== undefined && this.admitted) {
      this.#deadline = new AbortController();
      this.#timer = setTimeout(() => this.#expire(timeout), timeout);
    }
  }

  get runtime(): Runtime | undefined {
    return this.#peer.runtime;
  }

  get remoteAddress(): string | undefined {
    return this.#peer.remoteAddress;
  }

  get upgrade(): boolean | undefined {
    return this.#peer.upgrade;
  }

  get remotePort(): number | undefined {
    return this.#peer.remotePort;
  }

  /** The client as trusted proxy headers name it, else the socket's peer. */
  get client(): Client | undefined {
    const forwarded = this.#forwarded?.client;
    if (forwarded !== undefined) return forwarded;
    const address = this.#peer.remoteAddress;
    return address === undefined ? undefined : { address, port: this.#peer.remotePort ?? 0 };
  }

  /** The URL the client asked for: the received one with a trusted proxy's scheme and host. */
  get url(): string | undefined {
    return this.#forwarded === undefined ? undefined : forwardedUrl(this.#url, this.#forwarded);
  }

  /** The adapter's signal, or the request's, joined with the deadline's when there is one. */
  get signal(): AbortSignal | undefined {
    const deadline = this.#deadline;
    if (deadline === undefined) return this.#peer.signal;
    if (this.#signal !== undefined) return this.#signal;
    const base = this.#peer.signal ?? this.#request?.signal;
    return (this.#signal = base === undefined ? deadline.signal : AbortSignal.any([base, deadline.signal]));
  }

  /** Aborts at the deadline (with a TimeoutError) while nothing was answered; undefined without a requestTimeout. */
  get deadline(): AbortSignal | undefined {
    return this.#deadline?.signal;
  }

  /** For adapters that run the view elsewhere (the blocking baseline's threads): called at the deadline. */
  onDeadline(callback: () => void): void {
    this.#onDeadline = callback;
  }

  /**
   * Runs the app for `request`, or answers 503 at once when refused at the gate, or at the deadline, and hands the
   * answer to `deliver` (the adapter's writer): synchronously when the app answered synchronously, else in the same
   * promise step that settles the app's answer (no extra hop per request; one more with a request deadline), and in
   * the request's context, so a stream's chunks are pulled and a body failure is logged with its request id.
   */
  handle<T>(app: Handler, request: Request, deliver: (response: Response) => T | Promise<T>): T | Promise<T> {
    if (!this.admitted) return deliver(this.answer(this.refusal()));
    this.#request = request;
    if (this.#deadline === undefined) return app.handle(request, this, (response) => deliver(this.answer(response)));
    // With a deadline: whichever comes first, the app's answer (delivered in its request's context) or the 503.
    let late: Promise<T> | undefined;
    const delivered = app.handle(request, this, (response) => {
      if (late === undefined || !this.#answered) return deliver(this.answer(response));
      response.body?.cancel().catch(noop); // the deadline answered already: nobody reads this one
      return late;
    });
    if (!(delivered instanceof Promise)) return delivered;
    late = new Promise<Response>((resolve) => {
      this.#onDeadline = () => resolve(this.answer(this.timeoutResponse()));
    }).then(deliver);
    return Promise.race([delivered, late]);
  }

  /** The 503 for a request refused at the gate. */
  refusal(): Response {
    return this.#pipeline.admission.overCapacity();
  }

  /** The 503 for a request that passed its deadline before it was answered. */
  timeoutResponse(): Response {
    const ms = this.#pipeline.requestTimeout;
    return errorResponse(new HttpError(503, `the request was not answered within its deadline of ${ms} ms`, { code: "request_timeout", details: { requestTimeout: ms } }));
  }

  /** The response that goes to the client: its status and length are noted for the log, the deadline stops. */
  answer(response: Response): Response {
    this.#answered = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#status = response.status;
    if (this.#pipeline.format !== undefined) this.#bytes = bodyLength(response);
    return response;
  }

  /**
   * The response body finished (or its client left): the place at the gate is given back and the access-log line
   * written. `status` overrides the answered one (an adapter that had to answer 500 itself, or 499 for a client that
   * left before the response was complete, nginx's convention); once only.
   */
  end(status?: number, bytes?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.admitted) this.#pipeline.admission.leave();
    const format = this.#pipeline.format;
    if (format === undefined) return;
    let length = bytes ?? this.#bytes;
    if (status !== undefined && status !== this.#status) {
      this.#status = status;
      if (bytes === undefined) length = undefined;
    }
    const client = this.#logClient;
    this.#pipeline.sink(
      format({
        client: client === undefined ? "-" : client.address.includes(":") ? `[${client.address}]:${client.port}` : `${client.address}:${client.port}`,
        method: this.#method,
        path: pathAndQuery(this.#url),
        httpVersion: this.#httpVersion,
        status: this.#status || 0,
        bytes: length,
        durationMs: now() - this.#started,
        requestId: this.requestId ?? "-",
      }),
    );
  }

  #expire(timeout: number): void {
    this.#timer = undefined;
    if (this.#answered || this.#ended) return;
    this.#deadline!.abort(new DOMException(`the request passed its deadline of ${timeout} ms`, "TimeoutError"));
    this.#onDeadline?.();
  }
}

/** The path and query of an absolute URL string (what the access log shows). */
function pathAndQuery(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start < 0) return "/";
  const hash = url.indexOf("#", start);
  return hash < 0 ? url.slice(start) : url.slice(start, hash);
}

/** The body's length in bytes when it is known without reading it: a helper's text, or a declared Content-Length. */
function bodyLength(response: Response): number | undefined {
  const text = (response as unknown as Record<symbol, string | undefined>)[BODY_TEXT];
  if (text !== undefined) return utf8Length(text);
  if (response.body === null) return 0;
  const declared = response.headers.get("content-length");
  return declared === null ? undefined : Number(declared);
}

/** UTF-8 byte length of `text`, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
