// One Host rule on every adapter: a request without a Host header is answered 400 (RFC 9112 §3.2 requires it of
// HTTP/1.1; asyncview asks it of HTTP/1.0 too, because Deno's server cannot tell the two), and so is one that cannot
// stand as a URL's authority (a port above 65535, 256.1.1.1, a space), so no view ever meets an unparsable URL.

import { HttpError } from "./errors.ts";

/** A name or IPv4 address, or a bracketed IPv6 one, and an optional port. */
const HOST_SHAPE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
/** The last host that passed: nearly every request repeats it, so the check is one string comparison. */
let lastGood = "";

/** True when `host` can stand as a URL authority: the shape above, and the URL parser takes it. */
export function isUrlHost(host: string): boolean {
  if (host === lastGood) return true;
  if (!HOST_SHAPE.test(host) || !URL.canParse(`http://${host}/`)) return false;
  lastGood = host;
  return true;
}

/** `isUrlHost` for the authority at `url[start, end)`, without cutting it out when it repeats the last good host. */
export function isUrlHostAt(url: string, start: number, end: number): boolean {
  if (end - start === lastGood.length && url.startsWith(lastGood, start)) return true;
  return isUrlHost(url.slice(start, end));
}

export function missingHost(): HttpError {
  return new HttpError(400, "the request has no Host header", { code: "missing_host" });
}

export function badHost(host: string): HttpError {
  return new HttpError(400, `malformed Host header ${JSON.stringify(host.slice(0, 100))}`, { code: "bad_host" });
}
