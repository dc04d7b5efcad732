// The per-request Context handed to middleware and views; URL parsing and state are created only when read.
// `pathOf` and `searchOf` take the pathname and the query string from a request URL without building a URL object.

import type { BlockingDetector } from "./blocking-detector.ts";
import type { ChannelLayer } from "./channel-layer.ts";
import type { Recover } from "./compose.ts";
import { requestId } from "./context-var.ts";
import { TaskGroup } from "./task-group.ts";
import type { TaskTracker } from "./tasks.ts";
import type { Task } from "./timeout.ts";
import type { Client, Context, Logger, Params, Runtime, ServeInfo } from "./types.ts";

const NO_PARAMS: Params = Object.freeze({}) as Params;
const noop = (): void => {};

/** What every request of one app shares, made once by the app (the root app's serves its mounted apps too). */
export interface AppShared {
  readonly tasks: TaskTracker;
  readonly logger: Logger;
  /** The blocking detector, when enabled (mounted apps report to it too). */
  readonly detector: BlockingDetector | undefined;
  /** The error-to-response conversion, used by every middleware layer (mounted apps' too). */
  readonly recover: Recover;
  readonly channelLayer: () => ChannelLayer;
}

// Kept small: a waiting request holds it (the app's shared pieces are one field, not five).
export class RequestContext implements Context {
  params: Params = NO_PARAMS;
  route: string | null = null;
  error: unknown = undefined;
  readonly #shared: AppShared;
  readonly #request: Request;
  readonly #info: ServeInfo;
  #url: URL | undefined;
  #query: URLSearchParams | undefined;
  #state: Map<string, unknown> | undefined;
  #group: TaskGroup | undefined;
  /** A socket route's socket signal, which replaces the request's once the view chose to upgrade. */
  #socketSignal: AbortSignal | undefined;

  constructor(request: Request, info: ServeInfo, shared: AppShared) {
    this.#shared = shared;
    this.#request = request;
    this.#info = info;
  }

  /** The root app's blocking detector, when enabled. */
  get detector(): BlockingDetector | undefined {
    return this.#shared.detector;
  }

  /** The root app's error-to-response conversion. */
  get recover(): Recover {
    return this.#shared.recover;
  }

  get url(): URL {
    return (this.#url ??= new URL(this.#info.url ?? this.#request.url));
  }

  /**
   * The query string's parameters, parsed from the URL string on first read without a URL object (which cost
   * each waiting request about 0.4 KB on Bun); the same object as `url.searchParams` when `url` was read first.
   */
  get query(): URLSearchParams {
    return (this.#query ??= this.#url?.searchParams ?? new URLSearchParams(searchOf(this.#info.url ?? this.#request.url)));
  }

  get signal(): AbortSignal {
    return this.#socketSignal ?? this.#info.signal ?? this.#request.signal;
  }

  /** Whether the adapter serving this request can upgrade it to a WebSocket. */
  get canUpgrade(): boolean {
    return this.#info.upgrade === true;
  }

  /** From now on `signal` is the socket's: it aborts when the socket closes. */
  bindSignal(signal: AbortSignal): void {
    this.#socketSignal = signal;
  }

  publish(room: string, message: string | Uint8Array): Promise<void> {
    return this.#shared.channelLayer().publish(room, message);
  }

  get runtime(): Runtime {
    return this.#info.runtime ?? "unknown";
  }

  get remoteAddress(): string | undefined {
    return this.#info.remoteAddress;
  }

  get client(): Client | undefined {
    const info = this.#info;
    if (info.client !== undefined) return info.client;
    const address = info.remoteAddress;
    return address === undefined ? undefined : { address, port: info.remotePort ?? 0 };
  }

  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }

  waitUntil(promise: Promise<unknown>): void {
    requestId(); // fixed now, while the request can still be read: the work's log lines carry it after the response
    this.#shared.tasks.track(promise, `waitUntil (${this.route ?? "no route"})`);
  }

  spawn<T>(task: Task<T>): Promise<T> {
    this.#group ??= new TaskGroup({ signal: this.signal, logger: this.#shared.logger, name: `tasks of ${this.route ?? "a request"}` });
    const result = this.#group.spawn(task);
    // Shutdown waits for it; a failure is logged by the group (and cancels the request's other tasks).
    this.#shared.tasks.track(result.then(noop, noop));
    return result;
  }
}

/** The query string of an absolute URL string, without its `?` and any fragment ("" when it has none). */
function searchOf(url: string): string {
  const mark = url.indexOf("?");
  if (mark === -1) return "";
  const hash = url.indexOf("#", mark);
  return hash === -1 ? url.slice(mark + 1) : url.slice(mark + 1, hash);
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
