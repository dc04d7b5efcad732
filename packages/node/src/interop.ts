// Lets the lazy request facade go wherever a real Request goes (`fetch(request)`, `new Request(request)`): once,
// a global Request subclass and fetch wrapper swap a facade for its real Request (as Hono's and srvx's Node adapters do).

/** Node's own Request class, captured before the global is replaced. */
export const NativeRequest: typeof Request = globalThis.Request;

const INSTALLED = Symbol.for("asyncview.request-interop");

/** An object that stands for a real Request and can build it (the Node adapter's facade). */
interface Stand {
  readonly signal: AbortSignal;
  materialize(): Request;
}

function isStand(value: unknown): value is Stand {
  return value instanceof NativeRequest && typeof (value as Partial<Stand>).materialize === "function";
}

function real<T>(value: T): T | Request {
  return isStand(value) ? value.materialize() : value;
}

/**
 * The init for a copy of `input`: a facade's real Request carries no signal (see NodeRequest.materialize), so a copy
 * or a forwarded fetch gets the facade's own, and still stops when the client leaves, unless `init` names one.
 */
function withSignal(input: unknown, init: RequestInit | undefined): RequestInit | undefined {
  const resolved = real(init) as RequestInit | undefined;
  if (!isStand(input) || resolved?.signal !== undefined) return resolved;
  return { ...resolved, signal: input.signal };
}

if (!(INSTALLED in globalThis.Request)) {
  class Request extends NativeRequest {
    static readonly [INSTALLED] = true;
    /** Native Requests, facades and subclass instances all count, as they did before. */
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof NativeRequest;
    }
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(real(input), withSignal(input, init));
    }
  }
  const nativeFetch = globalThis.fetch;
  globalThis.Request = Request;
  (globalThis as { fetch: unknown }).fetch = function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    return nativeFetch(real(input), withSignal(input, init));
  };
}
