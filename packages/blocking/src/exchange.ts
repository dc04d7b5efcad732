// The main thread's half of one request: it reads the body into a RequestMessage, then writes what the worker
// sends (head, chunks, end) to the socket, acknowledging each piece once Node took it (after 'drain' when it is behind).

import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse, HttpError } from "@asyncview/core";
import { hasHeader } from "@asyncview/core/adapter";
import { readBody, writeResponse } from "@asyncview/node/front";
import type { RequestMessage, ResponseMessage } from "./protocol.ts";

const NO_BODY = new Set(["GET", "HEAD"]);

export class Exchange {
  readonly id: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: string;
  /** The response body's length once the worker sent it whole (the access log's bytes); undefined for a stream. */
  bytes: number | undefined;
  /** True once the server is closing: responses then carry `connection: close`. */
  readonly #closing: () => boolean;

  constructor(id: number, req: IncomingMessage, res: ServerResponse, url: string, closing: () => boolean) {
    this.id = id;
    this.req = req;
    this.res = res;
    this.url = url;
    this.#closing = closing;
  }

  /** The client left (or was cut off) before the response was complete. */
  get gone(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  /**
   * Reads the body and builds the message for the worker; null when there is nothing to run:
   * the client left, or the body passed `maxBodySize` (answered 413 here).
   */
  async request(maxBodySize: number): Promise<RequestMessage | null> {
    const { req } = this;
    if (this.gone) return null;
    const method = req.method ?? "GET";
    let body: ArrayBuffer | null = null;
    if (!NO_BODY.has(method)) {
      const bytes = await readBody(req, maxBodySize).catch(() => undefined);
      if (bytes === undefined) return null; // the client left or sent a malformed body: the connection is gone
      if (bytes === null) {
        this.respond(bodyTooLarge(maxBodySize), true);
        return null;
      }
      // Node pools small Buffers: copy into an ArrayBuffer of its own so transferring it detaches nothing else.
      body = bytes.slice().buffer;
    }
    if (this.gone) return null;
    return { type: "request", id: this.id, method, url: this.url, headers: req.rawHeaders, body, remoteAddress: req.socket.remoteAddress };
  }

  /** Writes one message of the worker's response; `ack` is called once the worker may send the next. */
  write(message: ResponseMessage, ack: () => void): void {
    const { res } = this;
    // The worker was told (abort) and waits for nothing more; or the front answered already (the request deadline).
    if (res.destroyed || res.writableEnded) return;
    switch (message.type) {
      case "head": {
        const { headers, body } = message;
        if (this.#closing() && !hasHeader(headers, "connection")) headers.push("connection", "close");
        if (!message.more) {
          this.bytes = body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
          if (body !== null && !hasHeader(headers, "content-length")) headers.push("content-length", String(this.bytes));
          res.writeHead(message.status, message.statusText || undefined, headers);
          res.end(body ?? undefined, ack);
          return;
        }
        res.writeHead(message.status, message.statusText || undefined, headers);
        this.#send(body ?? new Uint8Array(0), ack);
        return;
      }
      case "chunk":
        this.#send(message.bytes, ack);
        return;
      case "end":
        res.end(ack);
        return;
      case "fail":
        // After the headers: end the connection without the chunked terminator, so the client sees a truncated body.
        if (res.headersSent) res.socket?.end();
        else this.respond(errorResponse(new Error("worker failed")), false);
        return;
    }
  }

  /** Answers from the main thread (413, 503, 500) with a core helper response. */
  respond(response: Response, closeConnection: boolean): void {
    if (this.res.headersSent || this.res.destroyed) return;
    void writeResponse(this.res, response, closeConnection || this.#closing());
  }

  /** Writes a chunk; acknowledges at once when Node's buffer has room, else on 'drain'. */
  #send(bytes: Uint8Array | string, ack: () => void): void {
    if (this.res.write(bytes)) ack();
    else this.res.once("drain", ack);
  }
}

/** The core-style 413 for a body past the front's own cap (the app's smaller `readJson` limit answers first). */
export function bodyTooLarge(limit: number): Response {
  return errorResponse(
    new HttpError(413, `request body exceeds the server's limit of ${limit} bytes`, { code: "payload_too_large", details: { limit } }),
  );
}
