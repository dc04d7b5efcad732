// The blocking detector (asyncio's debug mode, Django's SynchronousOnlyOperation spirit): warns when a view holds
// the event loop longer than a threshold, naming the view (method and route) and for how long; counts are data.

import type { Logger } from "./types.ts";

/** Default threshold: a view holding the loop this long (ms) is reported. */
export const DEFAULT_BLOCKING_THRESHOLD_MS = 100;
/** How often the drift sampler checks the loop, in ms. */
export const DRIFT_SAMPLE_MS = 20;

export interface BlockingDetectorOptions {
  /** Report holds longer than this, in ms. Default 100. */
  thresholdMs?: number;
}

export interface BlockingStats {
  thresholdMs: number;
  /** Every report: attributed holds plus unattributed stalls. */
  total: number;
  /** Holds attributed to a view ("GET /cpu"), with their count and longest/total duration. */
  byView: Record<string, { count: number; maxMs: number; totalMs: number }>;
  /** Stalls the drift sampler saw that no view's synchronous part explains (after an await, in a timer...). */
  unattributed: { count: number; maxMs: number };
}

/**
 * Two instruments. Each synchronous stretch of a view (its body up to the first await) is timed exactly and
 * named. A drift sampler (a timer that notices when it fires late) catches the rest, reporting which views were
 * in flight. It works the same on Node, Bun and Deno; the sampler's timer does not keep a process alive.
 */
export class BlockingDetector {
  readonly thresholdMs: number;
  readonly #logger: Logger;
  readonly #inflight = new Map<string, number>();
  readonly #stats: BlockingStats;
  #timer: ReturnType<typeof setInterval> | undefined;
  #expected = 0;
  /** Set when a timed view already reported the hold the sampler is about to see. */
  #explainedUntil = 0;

  constructor(logger: Logger, options: BlockingDetectorOptions = {}) {
    this.thresholdMs = options.thresholdMs ?? DEFAULT_BLOCKING_THRESHOLD_MS;
    this.#logger = logger;
    this.#stats = { thresholdMs: this.thresholdMs, total: 0, byView: {}, unattributed: { count: 0, maxMs: 0 } };
  }

  /** Starts the drift sampler. */
  start(): void {
    if (this.#timer) return;
    this.#expected = performance.now() + DRIFT_SAMPLE_MS;
    this.#timer = setInterval(() => this.#sample(), DRIFT_SAMPLE_MS);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Runs one synchronous stretch of `view` (e.g. "GET /cpu"), timing it. */
  time<R>(view: string, fn: () => R): R {
    const started = performance.now();
    this.#inflight.set(view, (this.#inflight.get(view) ?? 0) + 1);
    try {
      return fn();
    } finally {
      const held = performance.now() - started;
      if (held > this.thresholdMs) {
        this.#explainedUntil = performance.now();
        this.#report(view, held);
      }
    }
  }

  /** The request for `view` is over (its response settled). */
  done(view: string): void {
    const n = (this.#inflight.get(view) ?? 1) - 1;
    if (n <= 0) this.#inflight.delete(view);
    else this.#inflight.set(view, n);
  }

  snapshot(): BlockingStats {
    return structuredClone(this.#stats);
  }

  #report(view: string, ms: number): void {
    const entry = (this.#stats.byView[view] ??= { count: 0, maxMs: 0, totalMs: 0 });
    entry.count += 1;
    entry.maxMs = Math.max(entry.maxMs, Math.round(ms));
    entry.totalMs += Math.round(ms);
    this.#stats.total += 1;
    this.#logger.warn(`event loop blocked for ${Math.round(ms)} ms by ${view}`, {
      view,
      blockedMs: Math.round(ms),
      thresholdMs: this.thresholdMs,
      hint: "move the blocking call into syncToAsync, or make it async",
    });
  }

  #sample(): void {
    const now = performance.now();
    const late = now - this.#expected;
    this.#expected = now + DRIFT_SAMPLE_MS;
    if (late <= this.thresholdMs) return;
    if (now - this.#explainedUntil < DRIFT_SAMPLE_MS + late) return; // a timed view already reported it
    this.#stats.unattributed.count += 1;
    this.#stats.unattributed.maxMs = Math.max(this.#stats.unattributed.maxMs, Math.round(late));
    this.#stats.total += 1;
    this.#logger.warn(`event loop blocked for about ${Math.round(late)} ms`, {
      blockedMs: Math.round(late),
      thresholdMs: this.thresholdMs,
      inFlight: [...this.#inflight.keys()],
    });
  }
}
