// ContextVar (Python's contextvars) on the adapter-installed AsyncLocalStorage: values set during a request are
// seen across its awaits and by the tasks it spawns, and never by another request. Also the request id.

import { runtimeServices, type AsyncStorage } from "./runtime.ts";
import type { ServeInfo } from "./types.ts";

/** One request's context: its variables, what stands for the request, and its id (or the request to read it from). */
interface Scope {
  /** Made on the first `set` in this context: most requests set no variable, and pay for no Map. */
  vars: Map<ContextVar<unknown>, unknown> | undefined;
  /**
   * What `requestKey()` gives: one object per request, shared by the copies its tasks run in; made on first use
   * (undefined until then), null in a scope that is no request's (the top level and its copies).
   */
  key: object | null | undefined;
  /**
   * Where the id comes from on first use: the `x-request-id` value the adapter read (null: none), or else the request
   * itself. A scope's value can outlive its request (on Deno until a full collection: see runInRequestScope), so it
   * holds the request only when the adapter gave no header value.
   */
  given: string | null | Request | undefined;
  id: string | undefined;
}

let storage: AsyncStorage<Scope> | undefined;
/** Values set outside any request (module setup, tests): Python's top-level context. */
const root: Scope = { vars: undefined, key: null, given: undefined, id: undefined };

function store(): AsyncStorage<Scope> | undefined {
  if (storage) return storage;
  const Storage = runtimeServices().AsyncLocalStorage;
  return (storage = Storage ? (new Storage() as AsyncStorage<Scope>) : undefined);
}

function current(): Scope {
  return store()?.getStore() ?? root;
}

/** True when an adapter installed AsyncLocalStorage, so contexts follow awaits. */
export function contextSupported(): boolean {
  return store() !== undefined;
}

/**
 * True once something in this thread reads the request scope whatever its app's `requestScope` option says: a
 * ContextVar was made, or a thread-sensitive syncToAsync function (see `needRequestScope`).
 */
let scopeNeeded = false;
/** True once a request in this thread ran without a scope: from then on a `set` without one would be shared. */
let servedWithoutScope = false;

/**
 * Says that every request from now on needs its context scope, even in an app made with `requestScope: false`. Made
 * ContextVars and thread-sensitive syncToAsync functions call it; so should a library that keys state by
 * `requestKey()` or reads `requestId()`.
 */
export function needRequestScope(): void {
  scopeNeeded = true;
}

/** Every ContextVar made in this thread, by name: how a worker thread finds the variables sent to it. */
const registry = new Map<string, ContextVar<unknown>>();

export class ContextVar<T> {
  readonly name: string;
  readonly #default: T | undefined;

  constructor(name: string, options: { default?: T } = {}) {
    this.name = name;
    this.#default = options.default;
    registry.set(name, this as ContextVar<unknown>);
    scopeNeeded = true;
  }

  /** The variable of that name made in this thread, if any. */
  static byName(name: string): ContextVar<unknown> | undefined {
    return registry.get(name);
  }

  /** The value in the current context, else the default. */
  get(): T | undefined {
    const vars = current().vars;
    return vars !== undefined && vars.has(this as ContextVar<unknown>) ? (vars.get(this as ContextVar<unknown>) as T) : this.#default;
  }

  /** Sets the value for the rest of the current context (this request, and tasks it spawns from now on). */
  set(value: T): void {
    const s = store();
    if (servedWithoutScope && s !== undefined && s.getStore() === undefined) {
      // Requests that began before any ContextVar existed run without a scope and share the top-level context.
      throw new Error(
        `ContextVar ${this.name}: set() without a context scope while this app serves requests without one (requestScope: false): ` +
          "make ContextVars when the module loads, or set top-level values inside runOutsideRequests()",
      );
    }
    const scope = current();
    (scope.vars ??= new Map()).set(this as ContextVar<unknown>, value);
  }

  /** Runs `fn` in a copy of the current context where this variable is `value`. */
  run<R>(value: T, fn: () => R): R {
    const s = store();
    if (!s) throw new Error("ContextVar.run needs AsyncLocalStorage: import an adapter (@asyncview/node, /bun, /deno) first");
    const scope = copy(current());
    (scope.vars ??= new Map()).set(this as ContextVar<unknown>, value);
    return s.run(scope, fn);
  }
}

/** A copy of `scope` (what a spawned task runs in), with the request id fixed now, while the request is alive. */
function copy(scope: Scope): Scope {
  return { vars: scope.vars === undefined ? undefined : new Map(scope.vars), key: keyOf(scope), given: undefined, id: idOf(scope) };
}

/**
 * Runs `fn` (a whole request) in a fresh context; `fn` runs directly when no AsyncLocalStorage is installed, or when
 * the app does not `want` one and nothing needs it (see `needRequestScope`). The id is the one the adapter fixed
 * (`info.requestId`, the access log's), else made on first use from the header value it read, else from the request.
 *
 * Deno's AsyncLocalStorage keeps each `run`'s value in a WeakMap, so a value can stay alive until V8's next full
 * collection, long after its request: holding the Request there tripled Deno's young-generation GC time at `/hello`.
 */
export function runInRequestScope<R>(request: Request, fn: () => R, info: ServeInfo = {}, want = true): R {
  const s = store();
  if (s === undefined) return fn();
  if (want || scopeNeeded) {
    const given = info.requestId !== undefined ? undefined : info.requestIdHeader !== undefined ? info.requestIdHeader : request;
    return s.run({ vars: undefined, key: undefined, given, id: info.requestId }, fn);
  }
  servedWithoutScope = true;
  return fn();
}

/**
 * An object standing for the current request, shared by the tasks it starts (gather, spawn); undefined outside a
 * request. Key per-request resources by it in a WeakMap: the entry goes when the request and its tasks are gone.
 */
export function requestKey(): object | undefined {
  const scope = store()?.getStore();
  return scope === undefined ? undefined : (keyOf(scope) ?? undefined);
}

/** The scope's request key, made now if it has none yet; null outside a request. */
function keyOf(scope: Scope): object | null {
  return scope.key === null ? null : (scope.key ??= {});
}

/**
 * Runs `fn` in the top-level context, outside any request: for long-lived things made on a request's behalf (a
 * worker thread, a connection) whose later events must not run in, nor keep alive, the request that made them.
 */
export function runOutsideRequests<R>(fn: () => R): R {
  const s = store();
  return s ? s.run(root, fn) : fn();
}

/**
 * `fn` bound to the current context: it runs there whoever calls it later. For work a server resumes after the view
 * returned (a streamed body's source is pulled by the runtime's reader, outside any request), as Starlette iterates a
 * StreamingResponse in the request's own context. Outside a request, `fn` itself.
 */
export function boundToScope<A = void, R = unknown>(fn: (arg: A) => R): (arg: A) => R {
  const s = store();
  const scope = s?.getStore();
  if (s === undefined || scope === undefined || scope === root) return fn;
  // One argument, no rest array: this runs once per streamed chunk.
  return (arg) => (s.getStore() === scope ? fn(arg) : s.run(scope, () => fn(arg)));
}

/** Runs `fn` in a copy of the current context (what a spawned task gets, as asyncio copies it at create_task). */
export function runInCopiedScope<R>(fn: () => R): R {
  const s = store();
  if (s === undefined) return fn();
  const scope = s.getStore();
  // A request served without a scope, where nothing could read a copy (no ContextVar made): none is made.
  if (scope === undefined && !scopeNeeded) return fn();
  return s.run(copy(scope ?? root), fn);
}

/** Runs `fn` in a copy of the current context with the named variables set (unknown names are kept for later). */
export function runWithValues<R>(values: Record<string, unknown>, fn: () => R): R {
  const s = store();
  if (!s) return fn();
  const scope = copy(current());
  for (const [name, value] of Object.entries(values)) {
    const v = registry.get(name) ?? new ContextVar(name);
    (scope.vars ??= new Map()).set(v, value);
  }
  return s.run(scope, fn);
}

/** Every variable set in the current context, by name (what syncToAsync sends to a worker when asked). */
export function contextSnapshot(vars: readonly ContextVar<unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of vars) {
    const value = v.get();
    if (value !== undefined) out[v.name] = value;
  }
  return out;
}

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/**
 * The current request's id: its `x-request-id` header when that is a safe token, else a random UUID,
 * made on first use. Undefined outside a request or without AsyncLocalStorage. Never throws.
 */
export function requestId(): string | undefined {
  const scope = store()?.getStore();
  return scope ? idOf(scope) : undefined;
}

function idOf(scope: Scope): string | undefined {
  if (scope.id !== undefined || scope.given === undefined) return scope.id;
  let given = scope.given;
  if (given !== null && typeof given !== "string") {
    try {
      given = given.headers.get("x-request-id");
    } catch {
      // The request already closed (Deno: "Request closed"): its header cannot be read any more.
      given = null;
    }
  }
  scope.given = undefined; // the id is fixed now
  return (scope.id = safeRequestId(given ?? undefined));
}

/** The request id for an `x-request-id` value: the value itself when it is a safe token, else `newRequestId()`. */
export function safeRequestId(given: string | undefined): string {
  return given !== undefined && SAFE_ID.test(given) ? given : newRequestId();
}

/** A random version-4 UUID made once per process, less its last 12 hex digits, which count the requests. */
const idBase = crypto.randomUUID().slice(0, 24);
let idCount = Math.floor(Math.random() * 2 ** 32);

/**
 * A fresh request id: UUID-shaped and unique (random per process, then a counter), about ten times cheaper than
 * `crypto.randomUUID()` per request, which matters once the access log gives every request an id.
 */
export function newRequestId(): string {
  idCount = (idCount + 1) % 2 ** 48;
  return idBase + idCount.toString(16).padStart(12, "0");
}
