// The main thread's half of one request: it reads the body into a RequestMessage, then writes what the worker
// sends (head, chunks, end) to the socket, acknowledging each piece once Node took it (after 'drain' when it is behind).

import type { IncomingMessage, ServerResponse } from "node:http";
import { BODY_TEXT, errorResponse, HEADER_PAIRS, HttpError } from "@asyncview/core";
import { readBody } from "./body.ts";
import type { RequestMessage, ResponseMessage } from "./protocol.ts";

const NO_BODY = new Set(["GET", "HEAD"]);
const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]+$/;

export class Exchange {
  readonly id: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** True once the server is closing: responses then carry `connection: close`. */
  readonly #closing: () => boolean;

  constructor(id: number, req: IncomingMessage, res: ServerResponse, closing: () => boolean) {
    this.id = id;
    this.req = req;
    this.res = res;
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
  async request(maxBodySize: number, fallbackHost: string): Promise<RequestMessage | null> {
    const { req } = this;
    if (this.gone) return null;
    const method = req.method ?? "GET";
    let body: ArrayBuffer | null = null;
    if (!NO_BODY.has(method)) {
      const result = await readBody(req, maxBodySize);
      if (result === "gone") return null;
      if (result === "too-large") {
        this.respond(bodyTooLarge(maxBodySize), true);
        return null;
      }
      body = result;
    }
    if (this.gone) return null;
    const host = req.headers.host;
    const url = `http://${host !== undefined && SAFE_HOST.test(host) ? host : fallbackHost}${req.url ?? "/"}`;
    return { type: "request", id: this.id, method, url, headers: req.rawHeaders, body, remoteAddress: req.socket.remoteAddress };
  }

  /** Writes one message of the worker's response; `ack` is called once the worker may send the next. */
  write(message: ResponseMessage, ack: () => void): void {
    const { res } = this;
    if (res.destroyed) return; // the worker was told (abort) and waits for nothing more
    switch (message.type) {
      case "head": {
        const { headers, body } = message;
        if (this.#closing() && !hasHeader(headers, "connection")) headers.push("connection", "close");
        if (!message.more) {
          if (body !== null && !hasHeader(headers, "content-length")) {
            headers.push("content-length", String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength));
          }
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
        if (res.headersSent) res.destroy(new Error("the response body failed after the headers were sent"));
        else this.respond(errorResponse(new Error("worker failed")), true);
        return;
    }
  }

  /** Answers from the main thread (413, 503, 500) with a core helper response. */
  respond(response: Response, closeConnection: boolean): void {
    const { res } = this;
    if (res.headersSent || res.destroyed) return;
    const record = response as unknown as Record<symbol, unknown>;
    const headers = [...(record[HEADER_PAIRS] as string[])];
    if (closeConnection) headers.push("connection", "close");
    const head = { type: "head", id: this.id, status: response.status, statusText: "", headers, more: false } as const;
    this.write({ ...head, body: record[BODY_TEXT] as string }, () => {});
  }

  /** Writes a chunk; acknowledges at once when Node's buffer has room, else on 'drain'. */
  #send(bytes: Uint8Array | string, ack: () => void): void {
    if (this.res.write(bytes)) ack();
    else this.res.once("drain", ack);
  }
}

function hasHeader(flat: string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
  return false;
}

/** The core-style 413 for a body past the front's own cap (the app's smaller `readJson` limit answers first). */
export function bodyTooLarge(limit: number): Response {
  return errorResponse(
    new HttpError(413, `request body exceeds the server's limit of ${limit} bytes`, { code: "payload_too_large", details: { limit } }),
  );
}
