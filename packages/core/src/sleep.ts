// `sleep(ms, { signal })`: asyncio.sleep for views. It does not block: the event loop serves others meanwhile.
// An aborted signal rejects it at once with the signal's reason, and its timer is cleared.

export interface SleepOptions {
  signal?: AbortSignal;
}

// No default for `options` (a parameter default gives each waiting call two more scope objects on Bun).
export function sleep(ms: number, options?: SleepOptions): Promise<void> {
  const signal = options?.signal;
  if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new RangeError(`sleep(): ms must be >= 0, got ${ms}`));
  if (signal?.aborted) return Promise.reject(signal.reason);
  // One callback for both ends (the timer, or the abort): a waiting call holds one closure, not two.
  return new Promise<void>((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      if (signal === undefined) return resolve();
      signal.removeEventListener("abort", settle);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(settle, ms);
    // Not `{ once: true }`: `settle` removes itself either way, and the options object cost Bun about 0.13 µs a call.
    signal?.addEventListener("abort", settle);
  });
}
