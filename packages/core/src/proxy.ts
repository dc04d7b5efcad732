// Trusted proxy headers: who the client is, and which scheme and host it asked for, when a trusted proxy says so.
// X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded; untrusted peers' headers and malformed values are ignored.

import type { Client } from "./types.ts";
import { isUrlHost } from "./host.ts";

export type { Client };

/** What trusted proxy headers say about the request as the client made it; each field only when they said so. */
export interface Forwarded {
  client?: Client;
  /** "http" or "https". */
  scheme?: string;
  /** A Host value that can stand in a URL authority. */
  host?: string;
}

/** Reads one request header (lower-case name); repeated headers joined with ", ", as HTTP allows for lists. */
export type HeaderReader = (name: string) => string | undefined;

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
/** An IPv4 literal, an IPv6 literal, or an RFC 7239 obfuscated identifier (`_hidden`) / `unknown`. */
const NODE_NAME = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|_[A-Za-z0-9._-]+|unknown)$/;
const SCHEMES = new Set(["http", "https"]);

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`; other addresses are kept as they are. */
export function normaliseAddress(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

/** The peers whose proxy headers are believed: a list of addresses, or "*" for every peer. */
export class TrustedProxies {
  readonly #all: boolean;
  readonly #addresses: Set<string>;

  constructor(allow: readonly string[]) {
    this.#all = allow.includes("*");
    this.#addresses = new Set(allow.map(normaliseAddress));
  }

  trusts(address: string | undefined): boolean {
    if (address === undefined) return false;
    return this.#all || this.#addresses.has(normaliseAddress(address));
  }

  /**
   * The client among the hops a proxy chain reported (leftmost = the original client), as uvicorn picks it: walking
   * from the right (the hop nearest to us), the first one that is not a trusted proxy; if every hop is trusted, the
   * leftmost. Undefined for an empty list.
   */
  pick<T>(hops: readonly T[], addressOf: (hop: T) => string): T | undefined {
    for (let i = hops.length - 1; i >= 0; i--) if (!this.trusts(addressOf(hops[i]!))) return hops[i];
    return hops[0];
  }
}

/** A node name of Forwarded's `for=` (`192.0.2.1`, `"[2001:db8::1]:4711"`, `"192.0.2.1:80"`) as a Client, or undefined. */
export function parseNode(value: string): Client | undefined {
  let address = value;
  let port = 0;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0) return undefined;
    const rest = address.slice(close + 1);
    address = address.slice(1, close);
    if (rest !== "") {
      if (!/^:\d{1,5}$/.test(rest)) return undefined;
      port = Number(rest.slice(1));
    }
    if (!address.includes(":")) return undefined; // brackets hold an IPv6 literal only
  } else {
    const colon = address.indexOf(":");
    if (colon >= 0 && address.indexOf(":", colon + 1) < 0) {
      // host:port (one colon: not a bare IPv6 literal)
      const portText = address.slice(colon + 1);
      if (!/^\d{1,5}$/.test(portText)) return undefined;
      port = Number(portText);
      address = address.slice(0, colon);
    }
  }
  if (port > 65535 || !NODE_NAME.test(address)) return undefined;
  return { address: normaliseAddress(address), port };
}

/** One `for=...;proto=...;host=...` element of a Forwarded header. */
export interface ForwardedElement {
  for?: string;
  proto?: string;
  host?: string;
}

const PAIR = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)=("(?:[^"\\]|\\.)*"|[A-Za-z0-9!#$%&'*+.^_`|~:[\]-]+)\s*$/;

/**
 * The elements of an RFC 7239 `Forwarded` header, leftmost first, parameter names lower-cased and quoted values
 * unquoted; undefined when any part is malformed (then the whole header is ignored).
 */
export function parseForwardedHeader(header: string): ForwardedElement[] | undefined {
  const elements: ForwardedElement[] = [];
  for (const element of splitOutsideQuotes(header, ",")) {
    if (element.trim() === "") continue;
    const parsed: Record<string, string> = {};
    for (const pair of splitOutsideQuotes(element, ";")) {
      if (pair.trim() === "") continue;
      const match = PAIR.exec(pair);
      if (!match) return undefined;
      const name = match[1]!.toLowerCase();
      const raw = match[2]!;
      if (name in parsed) return undefined; // RFC 7239 §4: each parameter at most once per element
      parsed[name] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    }
    elements.push({ for: parsed.for, proto: parsed.proto, host: parsed.host });
  }
  return elements.length > 0 ? elements : undefined;
}

/** Splits on `separator` where it is not inside a quoted string; undefined quotes leave the rest as one piece. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const lastItem = (list: string): string => {
  const comma = list.lastIndexOf(",");
  return (comma < 0 ? list : list.slice(comma + 1)).trim();
};

const schemeOf = (value: string | undefined): string | undefined => {
  const scheme = value?.toLowerCase();
  return scheme !== undefined && SCHEMES.has(scheme) ? scheme : undefined;
};
const hostOf = (value: string | undefined): string | undefined => (value !== undefined && isUrlHost(value) ? value : undefined);

/**
 * What the proxy headers of a request from a trusted peer say. RFC 7239 `Forwarded` wins when present and well
 * formed: the element of the client picked as `TrustedProxies.pick` does gives `for` (address and port), `proto`
 * and `host`. Otherwise `X-Forwarded-For` gives the client (port 0: the header carries none), and the last value of
 * `X-Forwarded-Proto` and `X-Forwarded-Host` (the one our trusted peer set) the scheme and host. A malformed value
 * is ignored on its own: the other headers still apply.
 */
export function readForwarded(header: HeaderReader, trusted: TrustedProxies): Forwarded {
  const out: Forwarded = {};
  const forwarded = header("forwarded");
  const elements = forwarded === undefined ? undefined : parseForwardedHeader(forwarded);
  if (elements !== undefined) {
    const nodes = elements.map((e) => ({ element: e, client: e.for === undefined ? undefined : parseNode(e.for) }));
    // An element without a usable `for` cannot be told apart from a trusted hop: the walk stops at it (untrusted).
    const chosen = trusted.pick(nodes, (n) => n.client?.address ?? "");
    if (chosen !== undefined) {
      if (chosen.client !== undefined) out.client = chosen.client;
      const scheme = schemeOf(chosen.element.proto);
      if (scheme !== undefined) out.scheme = scheme;
      const host = hostOf(chosen.element.host);
      if (host !== undefined) out.host = host;
    }
    return out;
  }
  const forwardedFor = header("x-forwarded-for");
  if (forwardedFor !== undefined) {
    const hops = forwardedFor
      .split(",")
      .map((hop) => parseNode(hop.trim()))
      .filter((hop): hop is Client => hop !== undefined);
    // A malformed hop is dropped; the pick then runs over the hops that parse.
    const client = trusted.pick(hops, (hop) => hop.address);
    if (client !== undefined) out.client = { address: client.address, port: 0 };
  }
  const proto = header("x-forwarded-proto");
  const scheme = proto === undefined ? undefined : schemeOf(lastItem(proto));
  if (scheme !== undefined) out.scheme = scheme;
  const hostHeader = header("x-forwarded-host");
  const host = hostHeader === undefined ? undefined : hostOf(lastItem(hostHeader));
  if (host !== undefined) out.host = host;
  return out;
}

/** `url` with its scheme and authority replaced by what a proxy said (either may be absent). */
export function forwardedUrl(url: string, forwarded: Forwarded): string {
  if (forwarded.scheme === undefined && forwarded.host === undefined) return url;
  const schemeEnd = url.indexOf("://");
  if (schemeEnd < 0) return url;
  const hostStart = schemeEnd + 3;
  let pathStart = url.indexOf("/", hostStart);
  if (pathStart < 0) pathStart = url.length;
  const scheme = forwarded.scheme ?? url.slice(0, schemeEnd);
  const host = forwarded.host ?? url.slice(hostStart, pathStart);
  return `${scheme}://${host}${url.slice(pathStart)}`;
}
