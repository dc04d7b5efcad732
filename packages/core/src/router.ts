// Path patterns and lookup: static segments, `:name` params and a trailing `*` wildcard.
// A lookup matches method and path together; `allow` lists every method the routes on a path accept (404 vs 405).

import { HttpError } from "./errors.ts";

/** The route chosen for a request: its pattern, the decoded params and the handler for the method. */
export interface RouteMatch<H> {
  pattern: string;
  params: Record<string, string>;
  handler: H;
}

interface DynamicRoute<H> {
  pattern: string;
  /** Literal text, or a param name prefixed by ":". */
  segments: string[];
  wildcard: boolean;
  methods: Map<string, H>;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a pattern and splits it; throws a TypeError naming what is wrong. */
export function parsePattern(pattern: string): { segments: string[]; wildcard: boolean } {
  if (!pattern.startsWith("/")) throw new TypeError(`route pattern must start with "/": ${JSON.stringify(pattern)}`);
  const parts = pattern.split("/").slice(1);
  let wildcard = false;
  const seen = new Set<string>();
  parts.forEach((part, index) => {
    if (part === "*") {
      if (index !== parts.length - 1) throw new TypeError(`"*" must be the last segment of ${pattern}`);
      wildcard = true;
    } else if (part.startsWith(":")) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) throw new TypeError(`bad parameter name ${JSON.stringify(name)} in ${pattern}`);
      if (seen.has(name)) throw new TypeError(`parameter ${name} appears twice in ${pattern}`);
      seen.add(name);
    }
  });
  return { segments: wildcard ? parts.slice(0, -1) : parts, wildcard };
}

function decodeSegment(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in path segment ${JSON.stringify(segment)}`, {
      code: "bad_path",
    });
  }
}

/** The handler `methods` has for `method`; HEAD falls back to GET. */
function handlerFor<T>(methods: ReadonlyMap<string, T> | undefined, method: string): T | undefined {
  return methods?.get(method) ?? (method === "HEAD" ? methods?.get("GET") : undefined);
}

/** The path's segments, percent-decoded when `encoded`. */
function partsOf(pathname: string, encoded: boolean): string[] {
  const parts = pathname.split("/").slice(1);
  return encoded ? parts.map(decodeSegment) : parts;
}

/**
 * Route order: static patterns first, then patterns with params, then wildcard patterns, each group in
 * registration order; the first route that matches the path and has the method wins (HEAD falls back to GET).
 * So `/users/me` beats `/users/:id`, which beats `/users/*`, whatever order they were added in, and the
 * static map stays the first and cheapest lookup.
 */
export class Router<H> {
  /** Static path → method → a prebuilt match, so a static hit allocates nothing. */
  readonly #static = new Map<string, Map<string, RouteMatch<H>>>();
  /** Param patterns, then wildcard patterns, each in registration order. */
  readonly #dynamic: DynamicRoute<H>[] = [];

  add(method: string, pattern: string, handler: H): void {
    const { segments, wildcard } = parsePattern(pattern);
    const upper = method.toUpperCase();
    const isStatic = !wildcard && segments.every((s) => !s.startsWith(":"));
    const twice = () => new TypeError(`route ${upper} ${pattern} is registered twice`);
    if (isStatic) {
      const key = `/${segments.map(decodeSegment).join("/")}`;
      let methods = this.#static.get(key);
      if (!methods) this.#static.set(key, (methods = new Map()));
      if (methods.has(upper)) throw twice();
      methods.set(upper, { pattern, params: NO_PARAMS, handler });
      return;
    }
    let route = this.#dynamic.find((r) => r.pattern === pattern);
    if (!route) {
      route = { pattern, segments, wildcard, methods: new Map() };
      const firstWildcard = this.#dynamic.findIndex((r) => r.wildcard);
      if (wildcard || firstWildcard === -1) this.#dynamic.push(route);
      else this.#dynamic.splice(firstWildcard, 0, route);
    }
    if (route.methods.has(upper)) throw twice();
    route.methods.set(upper, handler);
  }

  /**
   * The first route (in the order above) that matches a raw (percent-encoded) pathname and has `method`, or
   * null; throws HttpError 400 for bad encoding.
   */
  match(method: string, pathname: string): RouteMatch<H> | null {
    const encoded = pathname.includes("%");
    if (!encoded) {
      const direct = handlerFor(this.#static.get(pathname), method);
      if (direct) return direct;
    }
    const parts = partsOf(pathname, encoded);
    if (encoded) {
      const direct = handlerFor(this.#static.get(`/${parts.join("/")}`), method);
      if (direct) return direct;
    }
    for (const route of this.#dynamic) {
      const handler = handlerFor(route.methods, method);
      if (handler === undefined) continue;
      const params = matchSegments(route, parts);
      if (params) return { pattern: route.pattern, params, handler };
    }
    return null;
  }

  /** Every registered route as method and pattern, static ones first (read-only: for tools, such as `pnpm bench --app`). */
  list(): { method: string; pattern: string }[] {
    const routes: { method: string; pattern: string }[] = [];
    for (const methods of this.#static.values()) for (const [method, match] of methods) routes.push({ method, pattern: match.pattern });
    for (const route of this.#dynamic) for (const method of route.methods.keys()) routes.push({ method, pattern: route.pattern });
    return routes;
  }

  /** Adds to `into` every method registered on a route that matches `pathname` (the union a 405 lists). */
  allow(pathname: string, into: Set<string>): void {
    const parts = partsOf(pathname, pathname.includes("%"));
    for (const method of this.#static.get(`/${parts.join("/")}`)?.keys() ?? []) into.add(method);
    for (const route of this.#dynamic) {
      if (matchSegments(route, parts)) for (const method of route.methods.keys()) into.add(method);
    }
  }
}

function matchSegments<H>(route: DynamicRoute<H>, parts: string[]): Record<string, string> | null {
  const { segments, wildcard } = route;
  if (wildcard ? parts.length < segments.length : parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if (segment.startsWith(":")) {
      if (part === "") return null;
      params[segment.slice(1)] = part;
    } else if (segment !== part) {
      return null;
    }
  }
  if (wildcard) params["*"] = parts.slice(segments.length).join("/");
  return params;
}
