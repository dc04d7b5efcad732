// What every adapter runs around `app.handle` for each request, written once: the concurrency gate, the request
// deadline, the client and URL from trusted proxy headers, the request id, and the access-log line at the end.

import { accessLogFormatter, type AccessLogSink, type AccessRecord, stdoutSink } from "./access-log.ts";
import { Admission } from "./admission.ts";
import { safeRequestId } from "./context-var.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { type Client, type Forwarded, forwardedUrl, type HeaderReader, readForwarded, TrustedProxies } from "./proxy.ts";
import { BODY_TEXT } from "./responses.ts";
import { DEFAULT_FORWARDED_ALLOW_IPS, type ServeOptions } from "./server.ts";
import type { Responder, Runtime, ServeInfo } from "./types.ts";

/** What a pipeline exchange hands requests to: `App.handle`. */
export interface Handler {
  /** The answer handed to `responder` in the request's own context, so what the writer runs later belongs to it. */
  handle<T>(request: Request, info: ServeInfo, responder: Responder<T>): T | Promise<T>;
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

/** What only the access-log line needs: read at arrival, completed by the answer. */
interface LogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly httpVersion: string;
  readonly started: number;
  /** The client as the line shows it, read at arrival (a socket that closed no longer knows its peer). */
  readonly client: Client | undefined;
  status: number;
  bytes: number | undefined;
}

/** A request deadline's state (with `requestTimeout` only). */
interface Deadline {
  readonly controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The adapter's signal (or the request's) joined with the deadline's, made on first read. */
  signal: AbortSignal | undefined;
  request: Request | undefined;
  onDeadline: (() => void) | undefined;
  /** The deadline's 503 on its way to the writer, once the app is late. */
  late: Promise<unknown> | undefined;
}

/**
 * One request's passage through the pipeline; it is the ServeInfo the app gets, and the app's Responder: the answer
 * goes on to the adapter's (unless the deadline answered first). What only the access log or a deadline needs lives
 * apart, made only when they are on: a waiting request holds this object (about 100 bytes on Bun) and little else.
 */
export class PipelineExchange implements ServeInfo, Responder<unknown> {
  readonly admitted: boolean;
  readonly requestIdHeader: string | null | undefined;
  readonly #pipeline: RequestPipeline;
  readonly #peer: ServeInfo;
  readonly #url: string;
  readonly #forwarded: Forwarded | undefined;
  readonly #log: LogEntry | undefined;
  readonly #deadline: Deadline | undefined;
  /** The adapter's writer, from `handle`. */
  #responder: Responder<unknown> | undefined;
  #answered = false;
  #ended = false;

  constructor(pipeline: RequestPipeline, peer: ServeInfo, method: string, url: string, header: HeaderReader, httpVersion: string) {
    this.#pipeline = pipeline;
    this.#peer = peer;
    this.#url = url;
    this.admitted = pipeline.admission.tryEnter();
    const trusted = pipeline.trusted;
    let forwarded: Forwarded | undefined;
    if (trusted !== undefined && trusted.trusts(peer.remoteAddress)) {
      try {
        forwarded = readForwarded(header, trusted);
      } catch {
        // a header the runtime cannot read: ignored, like a malformed one
      }
    }
    this.#forwarded = forwarded;
    // Read at arrival (a header read, not an id made): the request's context then never holds the request itself.
    this.requestIdHeader = pipeline.idHeaderAtArrival || pipeline.format !== undefined ? (header("x-request-id") ?? null) : undefined;
    this.#log =
      pipeline.format === undefined
        ? undefined
        : { requestId: safeRequestId(this.requestIdHeader ?? undefined), method, httpVersion, started: now(), client: this.client, status: 0, bytes: undefined };
    const timeout = pipeline.requestTimeout;
    if (timeout !== undefined && this.admitted) {
      const deadline: Deadline = { controller: new AbortController(), timer: undefined, signal: undefined, request: undefined, onDeadline: undefined, late: undefined };
      deadline.timer = setTimeout(() => this.#expire(deadline, timeout), timeout);
      this.#deadline = deadline;
    }
  }

  /** Whether the access log is on (an adapter then finds out whether the client left, for the 499). */
  get logged(): boolean {
    return this.#log !== undefined;
  }

  /** The request's id, fixed at arrival when the access log is on (its line carries it). */
  get requestId(): string | undefined {
    return this.#log?.requestId;
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
    if (deadline.signal !== undefined) return deadline.signal;
    const base = this.#peer.signal ?? deadline.request?.signal;
    return (deadline.signal = base === undefined ? deadline.controller.signal : AbortSignal.any([base, deadline.controller.signal]));
  }

  /** Aborts at the deadline (with a TimeoutError) while nothing was answered; undefined without a requestTimeout. */
  get deadline(): AbortSignal | undefined {
    return this.#deadline?.controller.signal;
  }

  /** For adapters that run the view elsewhere (the blocking baseline's threads): called at the deadline. */
  onDeadline(callback: () => void): void {
    if (this.#deadline !== undefined) this.#deadline.onDeadline = callback;
  }

  /**
   * Runs the app for `request`, or answers 503 at once when refused at the gate, or at the deadline, and hands the
   * answer to `responder` (the adapter's writer): synchronously when the app answered synchronously, else in the same
   * promise step that settles the app's answer (no extra hop per request; one more with a request deadline), and in
   * the request's context, so a stream's chunks are pulled and a body failure is logged with its request id.
   */
  handle<T>(app: Handler, request: Request, responder: Responder<T>): T | Promise<T> {
    if (!this.admitted) return responder.respond(this.answer(this.refusal()));
    this.#responder = responder;
    const deadline = this.#deadline;
    if (deadline !== undefined) deadline.request = request;
    // The app answers this exchange, which passes the answer on to `responder`: what comes back is responder's.
    const delivered = app.handle(request, this, this) as T | Promise<T>;
    if (deadline === undefined || !(delivered instanceof Promise)) return delivered;
    // With a deadline: whichever comes first, the app's answer (delivered in its request's context) or the 503.
    const late = new Promise<Response>((resolve) => {
      deadline.onDeadline = () => resolve(this.answer(this.timeoutResponse()));
    }).then((response) => responder.respond(response));
    deadline.late = late;
    return Promise.race([delivered, late]);
  }

  /** The app's answer (called by App.handle): to the adapter's writer, unless the deadline answered already. */
  respond(response: Response): unknown {
    const late = this.#deadline?.late;
    if (late !== undefined && this.#answered) {
      response.body?.cancel().catch(noop); // nobody reads this one
      return late;
    }
    const responder = this.#responder;
    if (responder === undefined) throw new Error("PipelineExchange.respond() is App.handle's: call handle() first");
    return responder.respond(this.answer(response));
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
    const timer = this.#deadline?.timer;
    if (timer !== undefined) clearTimeout(timer);
    const log = this.#log;
    if (log !== undefined) {
      log.status = response.status;
      log.bytes = bodyLength(response);
    }
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
    const timer = this.#deadline?.timer;
    if (timer !== undefined) clearTimeout(timer);
    if (this.admitted) this.#pipeline.admission.leave();
    const log = this.#log;
    if (log === undefined) return;
    let length = bytes ?? log.bytes;
    if (status !== undefined && status !== log.status) {
      log.status = status;
      if (bytes === undefined) length = undefined;
    }
    const client = log.client;
    this.#pipeline.sink(
      this.#pipeline.format!({
        client: client === undefined ? "-" : client.address.includes(":") ? `[${client.address}]:${client.port}` : `${client.address}:${client.port}`,
        method: log.method,
        path: pathAndQuery(this.#url),
        httpVersion: log.httpVersion,
        status: log.status || 0,
        bytes: length,
        durationMs: now() - log.started,
        requestId: log.requestId,
      }),
    );
  }

  #expire(deadline: Deadline, timeout: number): void {
    deadline.timer = undefined;
    if (this.#answered || this.#ended) return;
    deadline.controller.abort(new DOMException(`the request passed its deadline of ${timeout} ms`, "TimeoutError"));
    deadline.onDeadline?.();
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
