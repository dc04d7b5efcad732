// The per-request Context handed to middleware and views; URL parsing and state are created only when read.
// `pathOf` extracts the pathname from a request URL without building a URL object.

import type { TaskTracker } from "./tasks.ts";
import type { Context, Params, Runtime, ServeInfo } from "./types.ts";

const NO_PARAMS: Params = Object.freeze({}) as Params;

export class RequestContext implements Context {
  params: Params = NO_PARAMS;
  route: string | null = null;
  readonly #request: Request;
  readonly #info: ServeInfo;
  readonly #tasks: TaskTracker;
  #url: URL | undefined;
  #state: Map<string, unknown> | undefined;

  constructor(request: Request, info: ServeInfo, tasks: TaskTracker) {
    this.#request = request;
    this.#info = info;
    this.#tasks = tasks;
  }

  get url(): URL {
    return (this.#url ??= new URL(this.#request.url));
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  get signal(): AbortSignal {
    return this.#info.signal ?? this.#request.signal;
  }

  get runtime(): Runtime {
    return this.#info.runtime ?? "unknown";
  }

  get remoteAddress(): string | undefined {
    return this.#info.remoteAddress;
  }

  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }

  waitUntil(promise: Promise<unknown>): void {
    this.#tasks.track(promise, `waitUntil (${this.route ?? "no route"})`);
  }
}

/** A dot segment (`.`, `..`, or either spelled with %2e) or a backslash: the WHATWG URL parser rewrites these. */
const NEEDS_NORMALISING = /\/(?:\.|%2e)(?:\.|%2e)?(?=\/|$)|\\/i;

/**
 * The still percent-encoded pathname of an absolute URL string, as the WHATWG URL parser would give it.
 * Plain paths are sliced out without building a URL; dot segments and backslashes go through `new URL`,
 * so `/a/%2E%2E/b` routes as `/b` on every adapter, whether its runtime normalised the URL or not.
 */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start === -1) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  const path = url.slice(start, end);
  return NEEDS_NORMALISING.test(path) ? new URL(url).pathname : path;
}
