// The concurrency gate (ServeOptions.limitConcurrency, uvicorn's --limit-concurrency): beyond N requests in flight,
// a request is answered 503 `over_capacity` with Retry-After at once, without running its view.

import { errorResponse, HttpError } from "./errors.ts";

/** Seconds a 503 tells the client to wait (`Retry-After`), the same as the blocking baseline's queue_full. */
export const RETRY_AFTER_SECONDS = 1;

/** What every adapter gives a request the server can no longer serve because it is closing: 503 with Retry-After. */
export function shuttingDown(): HttpError {
  return new HttpError(503, "the server is shutting down; retry later", {
    code: "shutting_down",
    headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
  });
}

/** The abort reason every adapter gives `ctx.signal` when the shutdown deadline gives up on a request. */
export function abortedByShutdown(reason: unknown): boolean {
  return reason instanceof DOMException && reason.message === "server shutting down";
}

/**
 * Counts what is in flight against the limit. A request enters on arrival and leaves once its response body is
 * finished (or its client left); a WebSocket connection from its upgrade request until the socket closes.
 */
export class Admission {
  readonly limit: number;
  #inFlight = 0;

  constructor(limit: number = Number.POSITIVE_INFINITY) {
    if (limit !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new RangeError(`limitConcurrency must be an integer >= 1, got ${limit}`);
    }
    this.limit = limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Takes a place; false (and nothing taken) at the limit: answer `overCapacity()`. */
  tryEnter(): boolean {
    if (this.#inFlight >= this.limit) return false;
    this.#inFlight++;
    return true;
  }

  /** Gives back a place taken by `tryEnter()`. */
  leave(): void {
    this.#inFlight--;
  }

  /** The 503 for a request refused at the limit. */
  overCapacity(): Response {
    return errorResponse(
      new HttpError(503, `the server is at its limit of ${this.limit} requests in flight; retry later`, {
        code: "over_capacity",
        details: { limitConcurrency: this.limit },
        headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
      }),
    );
  }
}
