// Path patterns and lookup: static segments, `:name` params and a trailing `*` wildcard.
// A lookup finds the route for a path and every method it accepts, so the app can answer 404 vs 405.

import { HttpError } from "./errors.ts";

/** One pattern and the handler registered for each method on it. */
export interface RouteMatch<H> {
  pattern: string;
  params: Record<string, string>;
  methods: ReadonlyMap<string, H>;
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

export class Router<H> {
  readonly #static = new Map<string, RouteMatch<H>>();
  readonly #dynamic: DynamicRoute<H>[] = [];

  add(method: string, pattern: string, handler: H): void {
    const { segments, wildcard } = parsePattern(pattern);
    const upper = method.toUpperCase();
    const isStatic = !wildcard && segments.every((s) => !s.startsWith(":"));
    let methods: Map<string, H>;
    if (isStatic) {
      const key = `/${segments.map(decodeSegment).join("/")}`;
      let entry = this.#static.get(key);
      if (!entry) this.#static.set(key, (entry = { pattern, params: NO_PARAMS, methods: new Map() }));
      methods = entry.methods as Map<string, H>;
    } else {
      let route = this.#dynamic.find((r) => r.pattern === pattern);
      if (!route) this.#dynamic.push((route = { pattern, segments, wildcard, methods: new Map() }));
      methods = route.methods;
    }
    if (methods.has(upper)) throw new TypeError(`route ${upper} ${pattern} is registered twice`);
    methods.set(upper, handler);
  }

  /** Finds the route for a raw (percent-encoded) pathname; throws HttpError 400 for bad encoding. */
  match(pathname: string): RouteMatch<H> | null {
    const encoded = pathname.includes("%");
    if (!encoded) {
      const direct = this.#static.get(pathname);
      if (direct) return direct;
    }
    const rawParts = pathname.split("/").slice(1);
    const parts = encoded ? rawParts.map(decodeSegment) : rawParts;
    if (encoded) {
      const direct = this.#static.get(`/${parts.join("/")}`);
      if (direct) return direct;
    }
    for (const route of this.#dynamic) {
      const params = matchSegments(route, parts);
      if (params) return { pattern: route.pattern, params, methods: route.methods };
    }
    return null;
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
