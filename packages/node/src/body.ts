// Request bodies on node:http, shared by the Node adapter and the blocking baseline's front: reading one (whole or
// as a stream with backpressure), and closing a connection whose body the view left unread without a reset.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { HttpError } from "@asyncview/core";

/**
 * How long a connection whose request body was left unread keeps reading (and discarding) after its response, before
 * it is closed: the answer goes out with `Connection: close`, the socket is half-closed, and what the client still
 * sends is thrown away until it stops or this many milliseconds passed (nginx's lingering close). Closing at once
 * would make the kernel reset the connection, and a client still sending could lose the answer.
 */
export const LINGER_MS = 2_000;

/** The error a body read fails with when the client left mid-body or sent a malformed one: the client's fault, 400. */
export function bodyUnreadable(reason: string): HttpError {
  return new HttpError(400, `the request body could not be read: ${reason}`, { code: "bad_body" });
}

const DISCONNECTED = "the client disconnected before the body was complete";

/** True when the request announced a body (Content-Length > 0 or Transfer-Encoding) and not all of it has arrived. */
export function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Makes the connection of `res` end by lingering (see {@link LINGER_MS}) instead of closing at once. Node ends a
 * `Connection: close` response with `socket.destroySoon()`; on this socket it half-closes and keeps reading instead.
 */
export function lingerOnClose(res: ServerResponse): void {
  const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (socket === null || socket.destroyed) return;
  const { req } = res;
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once("end", () => this.destroy());
    this.once("close", () => clearTimeout(timer));
    req.resume(); // whatever still reads the body discards past its need; nobody may hold the socket paused now
    this.resume();
  };
}

/**
 * Whether the response to `res.req` must close the connection because its body is still arriving; if so, the
 * close lingers. Node reads (and discards) the rest of an unread body before the next request otherwise, however big.
 */
export function closeForUnreadBody(res: ServerResponse): boolean {
  if (!bodyPending(res.req)) return false;
  lingerOnClose(res);
  return true;
}

/**
 * The whole body. Resolves null past `limit` bytes, announced (Content-Length) or streamed, at once, and keeps
 * draining what is still coming without keeping it, so a 413 can be answered. Rejects with a 400 HttpError when the
 * client leaves mid-body or sends a malformed one (a client fault: the app answers it and does not log it).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  // Node has parsed the headers already: refuse an announced oversize body without reading it.
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume();
    return Promise.resolve(null);
  }
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
    req.once("error", () => reject(bodyUnreadable(DISCONNECTED)));
    req.once("close", () => {
      if (!req.complete) reject(bodyUnreadable(DISCONNECTED));
    });
  });
}

/**
 * The request body as a byte stream with backpressure (the socket is paused while the consumer is behind).
 * Cancelling it stops delivery without destroying the socket, so a 413 can still be answered. A client that leaves
 * mid-body errors it with a 400 HttpError, which a view that awaits `request.text()` passes on unlogged.
 */
export function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
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
        req.on("error", () => {
          if (!done) controller.error(bodyUnreadable(DISCONNECTED));
          done = true;
        });
        req.on("close", () => {
          if (!done && !req.complete) controller.error(bodyUnreadable(DISCONNECTED));
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
