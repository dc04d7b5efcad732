// A lazy Fetch Request over Node's IncomingMessage: method, url, headers and signal are cheap getters,
// and a real Request (with a streaming body) is built only when a view touches the body or anything else.

import type { IncomingMessage } from "node:http";
import { delegateToNative, READ_BODY } from "@asyncview/core";

const NO_BODY = new Set(["GET", "HEAD"]);

export class NodeRequest {
  readonly #req: IncomingMessage;
  readonly #url: string;
  readonly #signal: () => AbortSignal;
  #headers: Headers | undefined;
  #real: Request | undefined;
  /** Set once the body was read directly (readJson, readText, readBytes); the real Request then has none. */
  #consumed = false;

  constructor(req: IncomingMessage, url: string, signal: () => AbortSignal) {
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
    return this.#signal();
  }

  /**
   * The whole body straight from the socket, without a Fetch Request or stream (core's readBytes uses it):
   * null past `limit`, announced or streamed (the rest is drained, so a 413 can still be answered);
   * undefined once a Request exists.
   */
  [READ_BODY](limit: number): Promise<Uint8Array | null> | undefined {
    if (this.#real || this.#consumed) return undefined;
    this.#consumed = true;
    // Node has parsed the headers already: refuse an announced oversize body without building Fetch Headers.
    if (Number(this.#req.headers["content-length"] ?? 0) > limit) {
      this.#req.resume();
      return Promise.resolve(null);
    }
    return readAll(this.#req, limit);
  }

  /** The real Request, built once; its body streams from the socket with Node's backpressure. */
  materialize(): Request {
    if (!this.#real) {
      const method = this.method;
      const hasBody = !NO_BODY.has(method);
      this.#real = new Request(this.#url, {
        method,
        headers: this.headers,
        signal: this.#signal(),
        body: hasBody && !this.#consumed ? bodyStream(this.#req) : null,
        duplex: "half",
      } as RequestInit);
    }
    return this.#real;
  }
}

/** Collects the body; past `limit` it resolves null at once and keeps draining the rest without keeping it. */
function readAll(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) chunks.push(chunk);
      else if (chunks.length > 0 || size - chunk.byteLength <= limit) {
        chunks.length = 0;
        resolve(null); // answer 413 now; the listener keeps draining what is still coming
      }
    });
    req.once("end", () => {
      if (size > limit) return resolve(null);
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
    });
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new Error("client disconnected before the body was complete"));
    });
  });
}

/**
 * The request body as a byte stream with backpressure (the socket is paused while the consumer is behind).
 * Cancelling it stops delivery without destroying the socket, so a 413 can still be answered.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          if (done) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on("end", () => {
          if (!done) controller.close();
          done = true;
        });
        req.on("error", (error) => {
          if (!done) controller.error(error);
          done = true;
        });
        req.on("close", () => {
          if (!done && !req.complete) controller.error(new Error("client disconnected before the body was complete"));
          done = true;
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        done = true;
        req.resume();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
}

// Everything not defined above (body, json(), text(), clone(), ...) delegates to the real Request,
// and `request instanceof Request` holds. The global Request is not touched.
delegateToNative(NodeRequest, Request);
