// The Request a view gets in a blocking thread: Node's own Request, built without an `init.signal`, whose `signal`
// is the thread's per-request signal (aborts when the client leaves or the server gives up, never on a normal finish).
//
// Why not `new Request(url, { signal })`: Node's Request (undici) then adds an abort listener to that signal and
// registers the request in a FinalizationRegistry holding the signal until a full GC finds the request dead and a
// later task runs the cleanup. Under load that garbage survives each collection, V8 sizes the heap on it, and a
// thread's heap grows without bound (the blocking leak: ~3 KB per request, 240 MB -> 1.1 GB RSS in 60 s of /hello).

/** Node's Request, captured before anything (the Node adapter's interop) may replace the global. */
const NativeRequest: typeof Request = globalThis.Request;

export class ThreadRequest extends NativeRequest {
  readonly #signal: AbortSignal;

  constructor(url: string, init: RequestInit, signal: AbortSignal) {
    super(url, init);
    this.#signal = signal;
  }

  override get signal(): AbortSignal {
    return this.#signal;
  }
}

/**
 * `fetch(request)` forwards the view's request upstream: Node's fetch copies its internal signal (never aborted here),
 * so the thread's signal goes along explicitly and the upstream call still stops when the client leaves.
 */
export function forwardSignalOnFetch(): void {
  const nativeFetch = globalThis.fetch;
  globalThis.fetch = function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    if (input instanceof ThreadRequest && init?.signal === undefined) return nativeFetch(input, { ...init, signal: input.signal });
    return nativeFetch(input, init);
  };
}
