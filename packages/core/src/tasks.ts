// Tracks work that outlives a response (`ctx.waitUntil`): none is lost, failures are logged, shutdown awaits them.
// `drain(timeout)` waits for every tracked promise, including ones added while draining, up to a deadline.

import type { Logger } from "./types.ts";

export class TaskTracker {
  readonly #pending = new Set<Promise<void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** How many tracked promises have not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  track(promise: Promise<unknown>, label = "background task"): void {
    const tracked: Promise<void> = Promise.resolve(promise).then(
      () => {
        this.#pending.delete(tracked);
      },
      (error: unknown) => {
        this.#pending.delete(tracked);
        this.#logger.error(`${label} failed`, { error });
      },
    );
    this.#pending.add(tracked);
  }

  /** Resolves true when everything settled, false when `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      while (this.#pending.size > 0) {
        const settled = await Promise.race([Promise.all(this.#pending).then(() => true as const), expired]);
        if (!settled) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
