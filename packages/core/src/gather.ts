// gather(tasks): asyncio.gather with cancellation. Tasks run concurrently and results come in argument order.
// When one fails, the others are cancelled through their signal, and the first error is thrown once all settled.

import { runInCopiedScope } from "./context-var.ts";
import { linkSignals } from "./signals.ts";
import type { Task } from "./timeout.ts";

export interface GatherOptions {
  /** Parent signal (for example ctx.signal): aborting it cancels every task. */
  signal?: AbortSignal;
}

type Results<T extends readonly Task<unknown>[]> = { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
type Settled<T extends readonly Task<unknown>[]> = { -readonly [K in keyof T]: PromiseSettledResult<Awaited<ReturnType<T[K]>>> };

/**
 * Runs every task at once, each with a signal. Resolves with their results in order; on the first failure,
 * aborts the others' signal (unlike asyncio, which leaves them running), waits for them to settle, then throws
 * that first error. With `{ settle: true }` nothing is cancelled and every outcome is returned
 * (asyncio's `return_exceptions=True`).
 */
export function gather<const T extends readonly Task<unknown>[]>(tasks: T, options?: GatherOptions & { settle?: false }): Promise<Results<T>>;
export function gather<const T extends readonly Task<unknown>[]>(tasks: T, options: GatherOptions & { settle: true }): Promise<Settled<T>>;
export async function gather(
  tasks: readonly Task<unknown>[],
  options: GatherOptions & { settle?: boolean } = {},
): Promise<unknown[]> {
  using link = linkSignals(options.signal);
  const signal = link.signal;
  const running = tasks.map((task) => runInCopiedScope(() => startTask(task, signal)));
  if (options.settle) return Promise.allSettled(running);
  let first: { error: unknown } | undefined;
  for (const p of running) {
    p.catch((error: unknown) => {
      if (first) return;
      first = { error };
      link.abort(error);
    });
  }
  const outcomes = await Promise.allSettled(running);
  if (first) throw first.error;
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value);
}

/** Calls `task` now (no extra promise and microtask per task); a synchronous throw becomes its rejection, as in an async function. */
export function startTask<T>(task: Task<T>, signal: AbortSignal): Promise<T> {
  try {
    return Promise.resolve(task(signal));
  } catch (error) {
    return Promise.reject(error);
  }
}
