// A lazy Fetch Request over Node's IncomingMessage: method, url, headers and signal are cheap getters,
// and a real Request (with a streaming body) is built only when a view touches the body or anything else.

import type { IncomingMessage } from "node:http";
import { delegateToNative, READ_BODY } from "@asyncview/core/adapter";
import { bodyStream, readBody } from "./body.ts";
import { NativeRequest } from "./interop.ts";

const NO_BODY = new Set(["GET", "HEAD"]);

/** Where a facade's `signal` comes from: the adapter's per-request state (the signal may be made on first read). */
export interface SignalSource {
  requestSignal(): AbortSignal;
}

export class NodeRequest {
  readonly #req: IncomingMessage;
  readonly #url: string;
  readonly #signal: SignalSource;
  #headers: Headers | undefined;
  #real: Request | undefined;
  /** Set once the body was read directly (readJson, readText, readBytes); the real Request then has none. */
  #consumed = false;

  constructor(req: IncomingMessage, url: string, signal: SignalSource) {
    this.#req = req;
    this.#url = url;
    this.#signal = signal;
  }

  get method(): string {
    return this.#req.method ?? "GET";
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    if (this.#real) return this.#real.headers;
    if (!this.#headers) {
      const headers = new Headers();
      const raw = this.#req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
      this.#headers = headers;
    }
    return this.#headers;
  }

  get signal(): AbortSignal {
    return this.#signal.requestSignal();
  }

  /**
   * The whole body straight from the socket, without a Fetch Request or stream (core's readBytes uses it):
   * null past `limit`, announced or streamed (the rest is drained, so a 413 can still be answered);
   * undefined once a Request exists.
   */
  [READ_BODY](limit: number): Promise<Uint8Array | null> | undefined {
    if (this.#real || this.#consumed) return undefined;
    this.#consumed = true;
    return readBody(this.#req, limit);
  }

  /**
   * The real Request, built once; its body streams from the socket with Node's backpressure. It is built without
   * `init.signal` (this facade's `signal` getter stays the one views see): given a signal, Node's Request registers it
   * in a FinalizationRegistry that kept 2-4 KB per request alive under load (the leak found in the blocking
   * baseline's threads; here 99 -> 491 MB over 438k requests of a view that read `request.arrayBuffer()`).
   * interop.ts passes the signal along where it matters: `fetch(request)` and `new Request(request)`.
   */
  materialize(): Request {
    if (!this.#real) {
      const method = this.method;
      const hasBody = !NO_BODY.has(method);
      this.#real = new NativeRequest(this.#url, {
        method,
        headers: this.headers,
        body: hasBody && !this.#consumed ? bodyStream(this.#req) : null,
        duplex: "half",
      } as RequestInit);
    }
    return this.#real;
  }
}

// Everything not defined above (body, json(), text(), clone(), ...) delegates to the real Request, and
// `request instanceof Request` holds; interop.ts lets `fetch(request)` and `new Request(request)` take it.
delegateToNative(NodeRequest, NativeRequest);
