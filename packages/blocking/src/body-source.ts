// The main thread's side of a request body in the blocking baseline: nothing is read until the worker thread pulls,
// then at most HIGH_WATER bytes wait in memory (the socket is paused beyond), each pull answered with what arrived.

import type { IncomingMessage } from "node:http";
import type { HttpError } from "@asyncview/core";
import { bodyUnreadable } from "@asyncview/node/front";
import type { BodyMessage } from "./protocol.ts";

/** Bytes read ahead of the worker at most; past them the socket is paused (TCP backpressure reaches the client). */
export const HIGH_WATER = 256 * 1024;

/** The answer to one pull, without the request id. */
export type BodyPiece = Omit<BodyMessage, "type" | "id">;

function failure(error: HttpError): BodyPiece {
  return { bytes: null, error: { status: error.status, code: error.code, message: error.message, details: error.details } };
}

export class BodySource {
  readonly #req: IncomingMessage;
  readonly #limit: number;
  /** Builds the 413 for a body past `limit`. */
  readonly #tooLarge: () => HttpError;
  #chunks: Buffer[] = [];
  #queued = 0;
  #received = 0;
  #ended = false;
  #failed: HttpError | undefined;
  #started = false;
  #discarding = false;
  #wake: (() => void) | undefined;

  constructor(req: IncomingMessage, limit: number, tooLarge: () => HttpError) {
    this.#req = req;
    this.#limit = limit;
    this.#tooLarge = tooLarge;
  }

  /** The next bytes (all that arrived since the last pull), the end, or why the body cannot be read. */
  async next(): Promise<BodyPiece> {
    if (!this.#started) this.#start();
    while (this.#chunks.length === 0 && !this.#ended && this.#failed === undefined && this.#received <= this.#limit) {
      this.#req.resume();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    if (this.#received > this.#limit) {
      this.discard();
      return failure(this.#tooLarge());
    }
    if (this.#chunks.length > 0) {
      // One buffer of its own (Node pools small Buffers), so transferring it to the thread detaches nothing else.
      const bytes = new Uint8Array(this.#queued);
      let offset = 0;
      for (const chunk of this.#chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
      this.#chunks = [];
      this.#queued = 0;
      return { bytes };
    }
    if (this.#failed !== undefined) return failure(this.#failed);
    return { bytes: null };
  }

  /** The view is done with the body: throw away what is queued and whatever still arrives (the close lingers). */
  discard(): void {
    this.#discarding = true;
    this.#chunks = [];
    this.#queued = 0;
    this.#failed ??= bodyUnreadable("the response was already sent");
    this.#wake?.();
    this.#req.resume();
  }

  #start(): void {
    this.#started = true;
    const req = this.#req;
    const wake = () => {
      const resolve = this.#wake;
      this.#wake = undefined;
      resolve?.();
    };
    req.on("data", (chunk: Buffer) => {
      if (this.#discarding) return;
      this.#received += chunk.byteLength;
      if (this.#received > this.#limit) return wake();
      this.#chunks.push(chunk);
      this.#queued += chunk.byteLength;
      if (this.#queued >= HIGH_WATER) req.pause();
      wake();
    });
    req.once("end", () => {
      this.#ended = true;
      wake();
    });
    const broken = () => {
      if (req.complete) return;
      this.#failed ??= bodyUnreadable("the client disconnected before the body was complete");
      wake();
    };
    req.once("error", broken);
    req.once("close", broken);
  }
}
