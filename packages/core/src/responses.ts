// Response helpers a view returns: json, text, html, redirect.
// They return standard Fetch Responses; the body (a string, or a source to stream) stays where an adapter can write it directly.

import { delegateToNative } from "./facade.ts";

/** Adapters read this to write a helper's body without re-reading the Response stream. */
export const BODY_TEXT: unique symbol = Symbol.for("asyncview.body-text") as never;
/** Adapters read this for a helper's headers as flat [name, value, ...] pairs without building a Headers. */
export const HEADER_PAIRS: unique symbol = Symbol.for("asyncview.header-pairs") as never;

export interface ResponseOptions {
  status?: number;
  headers?: HeadersInit;
}

/**
 * A helper's Response whose body is known up front (a string: TextResponse; a source to stream: stream.ts). It is a
 * real `Response` to every reader (`instanceof`, `headers`, `text()`, `body`, ...), but the Fetch object behind it is
 * built only when something reads the body through the Fetch API: constructing one costs ~10 us on Node, more than a
 * whole bare request. Adapters that can write the body directly read it through the subclass's hook instead.
 */
export abstract class LazyResponse {
  readonly status: number;
  readonly #init: HeadersInit;
  #headers: Headers | undefined;
  #real: Response | undefined;

  constructor(status: number, headers: HeadersInit) {
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`response status must be an integer in 200..599, got ${status}`);
    }
    this.status = status;
    this.#init = headers;
  }

  /**
   * One source of truth: before the Fetch Response exists, a Headers object of our own (the real Response is
   * then built from it); once it exists (clone(), body, text(), ... or an adapter needing a native Response),
   * the real Response's own headers, so a header set afterwards is sent by every adapter.
   */
  get headers(): Headers {
    if (this.#real !== undefined) return this.#real.headers;
    return (this.#headers ??= new Headers(this.#init));
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get statusText(): string {
    return "";
  }
  get type(): ResponseType {
    return "default";
  }
  get url(): string {
    return "";
  }
  get redirected(): boolean {
    return false;
  }
  /** Flat lower-case [name, value, ...] pairs; Set-Cookie values stay separate. */
  get [HEADER_PAIRS](): string[] {
    const init = this.#init;
    if (this.#real === undefined && this.#headers === undefined && !(init instanceof Headers) && !Array.isArray(init)) {
      const pairs: string[] = [];
      for (const name in init) pairs.push(name, (init as Record<string, string>)[name]!);
      return pairs;
    }
    return flatten(this.headers);
  }
  /** The Fetch Response behind this one once it was built, else undefined. */
  protected get real(): Response | undefined {
    return this.#real;
  }
  /** The body the Fetch Response behind this one is built with. */
  protected abstract fetchBody(): BodyInit | null;
  /** The Fetch Response behind this one, built on first use. */
  materialize(): Response {
    return (this.#real ??= this.withBody(this.fetchBody()));
  }
  /**
   * A native Response with this one's status and headers as they are now and `body` (what materialize() builds, and
   * what a Fetch-native server gets for a relayed stream). Built from the init itself when nobody touched the
   * headers, which saves a Headers copy on the hot path.
   */
  withBody(body: BodyInit | null): Response {
    return new Response(body, { status: this.status, headers: this.#real?.headers ?? this.#headers ?? this.#init });
  }
}

delegateToNative(LazyResponse, Response);

/** A Response whose body is a string: adapters that can write a string directly read it from `BODY_TEXT`. */
class TextResponse extends LazyResponse {
  readonly #body: string;

  constructor(body: string, status: number, headers: HeadersInit) {
    super(status, headers);
    this.#body = body;
  }

  /** The body text while no one consumed it through the Fetch API; undefined afterwards. */
  get [BODY_TEXT](): string | undefined {
    return this.real === undefined ? this.#body : undefined;
  }
  protected override fetchBody(): string {
    return this.#body;
  }
}

/** A response's headers as flat lower-case [name, value, ...] pairs (a fresh array; each Set-Cookie its own pair). */
export function headerPairs(response: Response): string[] {
  const helper = (response as unknown as Record<symbol, string[] | undefined>)[HEADER_PAIRS];
  return helper ?? flatten(response.headers);
}

function flatten(headers: Headers): string[] {
  const pairs: string[] = [];
  for (const [name, value] of headers) if (name !== "set-cookie") pairs.push(name, value);
  for (const cookie of headers.getSetCookie()) pairs.push("set-cookie", cookie);
  return pairs;
}

/** True when flat header `pairs` hold `name` (lower-case). */
export function hasHeader(pairs: readonly string[], name: string): boolean {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === name) return true;
  return false;
}

/** Builds the native Fetch Response behind a helper's response (what servers that take Fetch Responses natively need). */
export function toFetchResponse(response: Response): Response {
  return response instanceof LazyResponse ? response.materialize() : response;
}

/** A native Response with the status and headers of `response` (a helper's or any other) and `body` instead of its own. */
export function withBody(response: Response, body: BodyInit | null): Response {
  if (response instanceof LazyResponse) return response.withBody(body);
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The headers of a helper's response when `options` give some: theirs, with `defaults` for the names they lack. */
export function headersWithDefaults(options: ResponseOptions, defaults: Record<string, string>): HeadersInit {
  if (options.headers === undefined) return defaults;
  const merged = new Headers(options.headers);
  for (const name in defaults) if (!merged.has(name)) merged.set(name, defaults[name]!);
  return merged;
}

function withText(body: string, contentType: string, init: ResponseOptions | number | undefined): Response {
  if (typeof body !== "string") throw new TypeError(`text()/html(): the body must be a string, got ${typeof body}`);
  const options = typeof init === "number" ? { status: init } : (init ?? {});
  const headers = headersWithDefaults(options, { "content-type": contentType });
  return new TextResponse(body, options.status ?? 200, headers) as unknown as Response;
}
/** `application/json` from any JSON-serialisable value. */
export function json(data: unknown, init?: ResponseOptions | number): Response {
  const body = JSON.stringify(data);
  if (body === undefined) throw new TypeError("json(): value is not JSON-serialisable");
  return withText(body, "application/json; charset=utf-8", init);
}

/** `text/plain; charset=utf-8`. */
export function text(body: string, init?: ResponseOptions | number): Response {
  return withText(body, "text/plain; charset=utf-8", init);
}

/** `text/html; charset=utf-8`. The caller is responsible for escaping. */
export function html(body: string, init?: ResponseOptions | number): Response {
  return withText(body, "text/html; charset=utf-8", init);
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * A redirect. Refuses a location containing CR or LF (header injection) and statuses that are not redirects.
 * Default status 302, as Django's `redirect()`.
 */
export function redirect(location: string | URL, status = 302): Response {
  const value = String(location);
  if (/[\r\n]/.test(value)) throw new TypeError("redirect(): location must not contain CR or LF");
  if (!REDIRECT_STATUSES.has(status)) throw new RangeError(`redirect(): ${status} is not a redirect status`);
  return new Response(null, { status, headers: { location: value } });
}
