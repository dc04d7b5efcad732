// TaskGroup (Python 3.11's, with AbortSignal): `spawn` starts a task now (the seed's create_task); `wait` (or
// `await using`) waits for all; the first failure cancels the rest and every failure is thrown together.

import { runInCopiedScope } from "./context-var.ts";
import { linkSignals, type LinkedSignal } from "./signals.ts";
import { startTask } from "./gather.ts";
import type { Task } from "./timeout.ts";
import type { Logger } from "./types.ts";

export interface TaskGroupOptions {
  /** Parent signal: when it aborts, every task in the group is cancelled. */
  signal?: AbortSignal;
  /** Where failures go when nobody waits on the group (they are never dropped silently). Default: none. */
  logger?: Logger;
  /** Named in logs and errors. */
  name?: string;
}

/** Thrown by `spawn` after the group was closed by `wait`/dispose, or cancelled. */
export class TaskGroupClosedError extends Error {
  override name = "TaskGroupClosedError";
}

export class TaskGroup implements AsyncDisposable {
  readonly name: string;
  readonly #link: LinkedSignal;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #errors: unknown[] = [];
  readonly #logger: Logger | undefined;
  #closed = false;
  #observed = false;

  constructor(options: TaskGroupOptions = {}) {
    this.name = options.name ?? "task group";
    this.#link = linkSignals(options.signal);
    this.#logger = options.logger;
  }

  /** Aborts when the group is cancelled: by its parent, by `cancel()`, or by a task's failure. */
  get signal(): AbortSignal {
    return this.#link.signal;
  }

  /** Tasks still running. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Starts `task` now with the group's signal. The returned promise is the task's own result; the group
   * also records a failure (and cancels the other tasks), so awaiting the returned promise is optional.
   */
  spawn<T>(task: Task<T>): Promise<T> {
    if (this.#closed) throw new TaskGroupClosedError(`${this.name} is closed; spawn before waiting on it`);
    if (this.#link.signal.aborted) throw new TaskGroupClosedError(`${this.name} was cancelled: ${String(this.#link.signal.reason)}`);
    // Like asyncio's create_task, the task runs in a copy of the spawner's context (ContextVar values).
    const signal = this.#link.signal;
    const run = runInCopiedScope(() => startTask(task, signal));
    const tracked = run.then(
      () => {
        this.#pending.delete(tracked);
      },
      (error: unknown) => {
        this.#pending.delete(tracked);
        this.#fail(error);
      },
    );
    this.#pending.add(tracked);
    run.catch(() => {}); // the group reports it; the caller may also await it
    return run;
  }

  /** Cancels every running task with `reason`. */
  cancel(reason: unknown = new DOMException(`${this.name} cancelled`, "AbortError")): void {
    this.#link.abort(reason);
  }

  /**
   * Closes the group to new tasks and waits for all of them. Throws an AggregateError of every failure
   * (the cancellations that followed the first failure are not counted), else resolves.
   */
  async wait(): Promise<void> {
    this.#closed = true;
    this.#observed = true;
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    this.#link.dispose();
    if (this.#errors.length > 0) {
      throw new AggregateError(this.#errors, `${this.#errors.length} task(s) in ${this.name} failed: ${describe(this.#errors[0])}`);
    }
  }

  /**
   * Waits up to `ms` for the tasks, then cancels what is left and waits for it to unwind. Failures are
   * logged (nobody awaits an app-level group). Resolves true when everything finished in time.
   */
  async drain(ms: number, reason: unknown = new DOMException(`${this.name}: shutdown deadline passed`, "AbortError")): Promise<boolean> {
    this.#closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const settled = (async () => {
      while (this.#pending.size > 0) await Promise.all(this.#pending);
      return true as const;
    })();
    const inTime = await Promise.race([settled, expired]);
    clearTimeout(timer);
    if (!inTime) {
      this.cancel(reason);
      await settled;
    }
    this.#link.dispose();
    return inTime;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.wait();
  }

  #fail(error: unknown): void {
    const signal = this.#link.signal;
    // A task that ends because the group was cancelled is the cancellation, not a new failure.
    if (signal.aborted && (error === signal.reason || isAbortError(error))) return;
    this.#errors.push(error);
    if (!this.#observed && this.#logger) this.#logger.error(`${this.name}: a task failed`, { error });
    this.#link.abort(error);
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
