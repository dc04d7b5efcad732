// Cancellation plumbing without AbortSignal.any (which keeps listeners on long-lived parents in current Node
// and Deno): a child signal that follows its parents and detaches from them as soon as it is disposed.

/** A signal that aborts when any parent does (or `abort()` is called); `dispose()` detaches it from the parents. */
export interface LinkedSignal extends Disposable {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /** Removes the listeners this link added to its parents. Idempotent; runs by itself once the link aborts. */
  dispose(): void;
}

/** Links a new signal to `parents` (undefined ones are skipped). Always dispose it (`using`) when done. */
export function linkSignals(...parents: (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const attached: AbortSignal[] = [];
  const onAbort = function (this: AbortSignal) {
    link.abort(this.reason);
  };
  const link: LinkedSignal = {
    signal: controller.signal,
    abort(reason?: unknown) {
      link.dispose();
      if (!controller.signal.aborted) controller.abort(reason);
    },
    dispose() {
      for (const parent of attached) parent.removeEventListener("abort", onAbort);
      attached.length = 0;
    },
    [Symbol.dispose]() {
      link.dispose();
    },
  };
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      link.abort(parent.reason);
      break;
    }
    parent.addEventListener("abort", onAbort, { once: true });
    attached.push(parent);
  }
  return link;
}
