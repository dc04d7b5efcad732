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

  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }

  waitUntil(promise: Promise<unknown>): void {
    this.#tasks.track(promise, `waitUntil (${this.route ?? "no route"})`);
  }
}

/** The raw (still percent-encoded) pathname of an absolute URL string. */
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
  return url.slice(start, end);
}
