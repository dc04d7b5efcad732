// `timeout(ms, task)`: asyncio.timeout for one piece of work; its signal aborts at the deadline (or the caller's), and
// the caller gets a TimeoutError then even if the task ignores it. `within(promise, ms)`: did it settle in time.

import { linkSignals } from "./signals.ts";

export interface TimeoutOptions {
  /** A parent signal (for example ctx.signal): aborting it cancels the task too, with its own reason. */
  signal?: AbortSignal;
}

/** A task: work that receives the signal that cancels it. */
export type Task<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Runs `task` with a deadline of `ms`; rejects with a `TimeoutError` DOMException when it passes. */
export async function timeout<T>(ms: number, task: Task<T>, options: TimeoutOptions = {}): Promise<T> {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timeout(): ms must be >= 0, got ${ms}`);
  using link = linkSignals(options.signal);
  if (link.signal.aborted) throw link.signal.reason;
  const expired = new DOMException(`timed out after ${ms} ms`, "TimeoutError");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      link.abort(expired);
      reject(expired);
    }, ms);
  });
  const cancelled = new Promise<never>((_, reject) => {
    link.signal.addEventListener("abort", () => reject(link.signal.reason), { once: true });
  });
  const work = Promise.resolve().then(() => task(link.signal));
  // Whichever loses the race has nobody left to tell (a task failing after the deadline, the final abort).
  for (const p of [work, deadline, cancelled]) p.catch(() => {});
  try {
    return await Promise.race([work, deadline, cancelled]);
  } finally {
    clearTimeout(timer);
    if (!link.signal.aborted) link.abort(new DOMException("timeout scope exited", "AbortError"));
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise (its rejection counts as settled). */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)))]);
  clearTimeout(timer);
  return result;
}
