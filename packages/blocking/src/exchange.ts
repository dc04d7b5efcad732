// The main thread's half of one request: it describes it to the worker (RequestMessage), hands it its body as it
// pulls, and writes what the worker sends (head, chunks, end), acknowledging each piece once Node took it.

import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse, HttpError } from "@asyncview/core";
import { hasHeader } from "@asyncview/core/adapter";
import { closeForUnreadBody, writeResponse } from "@asyncview/node/front";
import { type BodyPiece, BodySource } from "./body-source.ts";
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
  readonly #maxBodySize: number;
  #body: BodySource | undefined;

  constructor(id: number, req: IncomingMessage, res: ServerResponse, url: string, closing: () => boolean, maxBodySize: number) {
    this.id = id;
    this.req = req;
    this.res = res;
    this.url = url;
    this.#closing = closing;
    this.#maxBodySize = maxBodySize;
  }

  /** The client left (or was cut off) before the response was complete. */
  get gone(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  /**
   * The message for the worker, without reading the body (the worker pulls it); null when there is nothing to run:
   * the client left, or the body announced more than `maxBodySize` bytes (answered 413 here).
   */
  request(): RequestMessage | null {
    const { req } = this;
    if (this.gone) return null;
    const method = req.method ?? "GET";
    if (Number(req.headers["content-length"] ?? 0) > this.#maxBodySize) {
      this.respond(bodyTooLarge(this.#maxBodySize), true);
      return null;
    }
    const length = req.headers["content-length"];
    const body = !NO_BODY.has(method) && (req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0"));
    return { type: "request", id: this.id, method, url: this.url, headers: req.rawHeaders, body, remoteAddress: req.socket.remoteAddress };
  }

  /** The next piece of the body, read from the socket only now (the worker's view asked for it). */
  pull(): Promise<BodyPiece> {
    this.#body ??= new BodySource(this.req, this.#maxBodySize, () => tooLarge(this.#maxBodySize));
    return this.#body.next();
  }

  /** The worker is done (or the client left): what the view left unread is thrown away as it arrives. */
  release(): void {
    if (this.#body) this.#body.discard();
    else if (!this.req.complete) this.req.resume();
  }

  /** Writes one message of the worker's response; `ack` is called once the worker may send the next. */
  write(message: ResponseMessage, ack: () => void): void {
    const { res } = this;
    // The worker was told (abort) and waits for nothing more; or the front answered already (the request deadline).
    if (res.destroyed || res.writableEnded) return;
    switch (message.type) {
      case "head": {
        const { headers, body } = message;
        // A body still arriving closes the connection (lingering), as on the Node adapter.
        if ((closeForUnreadBody(res) || this.#closing()) && !hasHeader(headers, "connection")) headers.push("connection", "close");
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

/** The 413 for a body past the front's own cap (the app's smaller `readJson` limit answers first). */
function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body exceeds the server's limit of ${limit} bytes`, { code: "payload_too_large", details: { limit } });
}

function bodyTooLarge(limit: number): Response {
  return errorResponse(tooLarge(limit));
}
