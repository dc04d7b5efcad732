// One Host rule on every adapter: a request without a Host header is answered 400. RFC 9112 §3.2 requires it of
// HTTP/1.1; asyncview asks it of HTTP/1.0 too, because Deno's server cannot tell the two versions apart.

import { HttpError } from "./errors.ts";

export function missingHost(): HttpError {
  return new HttpError(400, "the request has no Host header", { code: "missing_host" });
}
