// HttpError lets a view answer 4xx/5xx on purpose; errorResponse turns any thrown value into JSON.
// The body always names the problem: {"error":{"status":..,"code":..,"message":..}}.

import { json } from "./responses.ts";

const REASONS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  408: "request_timeout",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
  429: "too_many_requests",
  500: "internal_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
};

export interface HttpErrorOptions {
  /** A short machine-readable name; defaults to one derived from the status. */
  code?: string;
  /** Extra JSON-serialisable detail placed in the body under `error.details`. */
  details?: unknown;
  /** Headers to add to the error response (for example `Allow` or `Retry-After`). */
  headers?: HeadersInit;
  cause?: unknown;
}

/** Throw it from a view or middleware to answer with this status and a JSON error body. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: HeadersInit | undefined;

  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be an integer in 400..599, got ${status}`);
    }
    this.name = "HttpError";
    this.status = status;
    this.code = options.code ?? REASONS[status] ?? (status < 500 ? "client_error" : "server_error");
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** The JSON body and status for an error. Unknown errors become a 500 that hides its message unless `debug`. */
export function errorResponse(error: unknown, debug = false): Response {
  if (error instanceof HttpError) {
    const body: Record<string, unknown> = { status: error.status, code: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    return json({ error: body }, { status: error.status, headers: error.headers });
  }
  const body: Record<string, unknown> = { status: 500, code: "internal_error", message: "Internal Server Error" };
  if (debug && error instanceof Error) {
    body.message = error.message;
    body.stack = error.stack;
  }
  return json({ error: body }, 500);
}
