// A pool of up to N worker threads (started on need, ended after idleTimeout idle) with a bounded FIFO queue, one call per
// thread at a time; calls with the same affinity key keep to one thread. `await using` ends them; idle threads hold no process open.

import { availableParallelism } from "node:os";
import { clearTimeout, setTimeout } from "node:timers";
import { Worker } from "node:worker_threads";
import { HttpError, runOutsideRequests } from "@asyncview/core";
import { uncopyableCall } from "./copy.ts";
import type { CallMessage, ResultMessage, SerializedError } from "./protocol.ts";

/** Calls that may wait for a thread before a call is refused. */
export const DEFAULT_QUEUE_SIZE = 1024;
/**
 * How long a thread may wait without a call before it ends, ms: 10 s, as Tokio's blocking pool keeps an idle thread
 * (`thread_keep_alive`). A thread is a whole JavaScript isolate (about 10 MiB on Node, with its modules' state), so
 * an idle one should not be held forever; the next call after that starts a new thread (tens of ms).
 */
export const DEFAULT_IDLE_TIMEOUT = 10_000;

export interface ThreadPoolOptions {
  /** Threads in the pool. Default: the number of cores. */
  threads?: number;
  /** Calls that may wait for a free thread; one more is refused with a 503 HttpError. Default 1024. */
  queueSize?: number;
  /** Named in errors. */
  name?: string;
  /** Milliseconds a thread may stay without a call before it ends. Default 10 s; `Infinity` keeps threads for good. */
  idleTimeout?: number;
}

/** What to do with a running call when its signal aborts: stop waiting (the thread finishes it), or end the thread. */
export type CancelMode = "detach" | "terminate";

export interface RunOptions {
  signal?: AbortSignal;
  onCancel?: CancelMode;
  context?: Record<string, unknown>;
  /**
   * Calls with the same key run on the same thread, the one first chosen for it (the least busy): what keeps a
   * request's thread-sensitive calls together. Held weakly: the binding goes with the key.
   */
  affinity?: object;
}

interface Call {
  message: CallMessage;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  options: RunOptions;
  onAbort?: () => void;
}

interface Thread {
  worker: Worker;
  call: Call | undefined;
  /** Calls bound to this thread by their affinity, waiting for it. */
  waiting: Call[];
  /** When it last became free (performance.now()); undefined while it has work. */
  idleSince: number | undefined;
}

const WORKER_URL = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url); // dist/ ships .js
let nextId = 0;

/** The error a thread threw, rebuilt here with its name, message and the thread's stack. */
export function revive(error: SerializedError): Error {
  const revived = new Error(error.message);
  revived.name = error.name;
  if (error.stack) revived.stack = error.stack;
  return revived;
}

export class ThreadPool implements AsyncDisposable {
  readonly size: number;
  readonly queueSize: number;
  readonly name: string;
  readonly #threads = new Set<Thread>();
  readonly #queue: Call[] = [];
  readonly #bound = new WeakMap<object, Thread>();
  #idleTimeout = DEFAULT_IDLE_TIMEOUT;
  /** The one timer that ends idle threads, while some thread is idle. */
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: ThreadPoolOptions = {}) {
    this.size = options.threads ?? availableParallelism();
    this.queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.name = options.name ?? "syncToAsync pool";
    this.idleTimeout = options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
    if (!Number.isSafeInteger(this.size) || this.size < 1) throw new RangeError(`threads must be an integer >= 1, got ${this.size}`);
    if (!Number.isSafeInteger(this.queueSize) || this.queueSize < 0) throw new RangeError(`queueSize must be an integer >= 0, got ${this.queueSize}`);
  }

  /**
   * Milliseconds a thread may stay without a call before it ends (settable, for the default pools:
   * `defaultPools().threadSensitive.idleTimeout = 60_000`). A request bound to a thread that ended continues on another.
   */
  get idleTimeout(): number {
    return this.#idleTimeout;
  }

  set idleTimeout(ms: number) {
    if (typeof ms !== "number" || !(ms >= 0)) throw new RangeError(`idleTimeout must be a number of ms >= 0 (or Infinity), got ${ms}`);
    this.#idleTimeout = ms;
  }

  /** Threads alive now (each started on first need, ended after idleTimeout without a call). */
  get alive(): number {
    return this.#threads.size;
  }

  /** Calls waiting for a thread. */
  get queued(): number {
    let n = this.#queue.length;
    for (const t of this.#threads) n += t.waiting.length;
    return n;
  }

  /** Calls running on a thread. */
  get busy(): number {
    let n = 0;
    for (const t of this.#threads) if (t.call) n++;
    return n;
  }

  /** Runs `module`'s export `exportName` with `args` on a thread of this pool. */
  run(module: string, exportName: string, args: unknown[], options: RunOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error(`${this.name} is closed`));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const call: Call = { message: { id: nextId++, module, exportName, args, context: options.context }, resolve, reject, options };
      const thread = options.affinity ? this.#boundTo(options.affinity) : this.#free();
      const startsNow = thread !== undefined && thread.call === undefined;
      if (!startsNow && this.queued >= this.queueSize) {
        reject(
          new HttpError(503, `${this.name} is full: ${this.size} threads busy and ${this.queueSize} calls waiting`, {
            code: "thread_pool_full",
            details: { threads: this.size, queueSize: this.queueSize },
            headers: { "retry-after": "1" },
          }),
        );
        return;
      }
      if (signal) {
        call.onAbort = () => this.#cancel(call, signal.reason);
        signal.addEventListener("abort", call.onAbort, { once: true });
      }
      if (startsNow) this.#start(thread, call);
      else (thread?.waiting ?? this.#queue).push(call);
    });
  }

  /** Ends every thread; calls still waiting or running are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#sweep);
    const reason = new Error(`${this.name} closed`);
    for (const call of this.#queue.splice(0)) this.#settle(call, undefined, reason);
    await Promise.all(
      [...this.#threads].map((t) => {
        for (const call of t.waiting.splice(0)) this.#settle(call, undefined, reason);
        if (t.call) this.#settle(t.call, undefined, reason);
        return t.worker.terminate();
      }),
    );
    this.#threads.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** An idle thread, else a new one while there is room. */
  #free(): Thread | undefined {
    for (const t of this.#threads) if (!t.call) return t;
    return this.#spawnIfRoom();
  }

  /** The thread `key` is bound to; a key seen first (or whose thread exited) is bound to the least busy thread. */
  #boundTo(key: object): Thread {
    let thread = this.#bound.get(key);
    if (thread && this.#threads.has(thread)) return thread;
    thread = this.#free();
    if (!thread) for (const t of this.#threads) if (!thread || t.waiting.length < thread.waiting.length) thread = t;
    this.#bound.set(key, thread!);
    return thread!;
  }

  #spawnIfRoom(): Thread | undefined {
    if (this.#threads.size >= this.size) return undefined;
    // Made outside the request that needs it: a thread's events would otherwise run in, and keep alive, that request.
    const worker = runOutsideRequests(() => new Worker(WORKER_URL));
    const thread: Thread = { worker, call: undefined, waiting: [], idleSince: undefined };
    this.#threads.add(thread);
    worker.on("message", (reply: ResultMessage) => {
      const call = thread.call;
      if (!call || call.message.id !== reply.id) return; // a detached call's late answer
      if (reply.ok) this.#settle(call, reply.value);
      else this.#settle(call, undefined, revive(reply.error));
      this.#release(thread);
    });
    worker.on("error", (error) => {
      if (thread.call) this.#settle(thread.call, undefined, error);
    });
    worker.on("exit", () => {
      if (thread.call) this.#settle(thread.call, undefined, new Error(`${this.name}: a thread exited while running ${thread.call.message.exportName}`));
      this.#retire(thread);
    });
    return thread;
  }

  /** Takes an exiting thread out of the pool; calls bound to it go first to whichever thread is free (their keys bind anew). */
  #retire(thread: Thread): void {
    this.#threads.delete(thread);
    this.#queue.unshift(...thread.waiting.splice(0));
    for (let next: Thread | undefined; !this.#closed && this.#queue.length > 0 && (next = this.#free()); ) {
      this.#start(next, this.#queue.shift()!);
    }
  }

  #start(thread: Thread, call: Call): void {
    try {
      thread.worker.postMessage(call.message);
    } catch (error) {
      // Nothing was sent (an argument cannot be copied): the thread stays free and the call fails, naming why.
      this.#settle(call, undefined, uncopyableCall(call.message, error));
      return this.#release(thread);
    }
    thread.call = call;
    thread.idleSince = undefined;
    thread.worker.ref();
  }

  #release(thread: Thread): void {
    thread.call = undefined;
    const next = thread.waiting.shift() ?? this.#queue.shift();
    if (next) return this.#start(thread, next);
    thread.worker.unref(); // an idle pool never keeps the process alive
    thread.idleSince = performance.now();
    this.#sweepIn(this.#idleTimeout);
  }

  /** Schedules the idle sweep in `ms` unless one is due already (one timer per pool, made outside any request). */
  #sweepIn(ms: number): void {
    if (this.#sweep !== undefined || this.#closed || !Number.isFinite(this.#idleTimeout)) return;
    this.#sweep = runOutsideRequests(() => setTimeout(() => this.#endIdle(), ms));
    this.#sweep.unref();
  }

  /** Ends the threads idle for idleTimeout; sweeps again when the next of the others is due. */
  #endIdle(): void {
    this.#sweep = undefined;
    const now = performance.now();
    let next = Infinity;
    for (const t of this.#threads) {
      if (t.call || t.waiting.length > 0 || t.idleSince === undefined) continue;
      const due = t.idleSince + this.#idleTimeout;
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      this.#threads.delete(t); // its bindings lapse: #boundTo binds their keys anew
      void t.worker.terminate();
    }
    if (next !== Infinity) this.#sweepIn(next - now);
  }

  #cancel(call: Call, reason: unknown): void {
    for (const queue of [this.#queue, ...[...this.#threads].map((t) => t.waiting)]) {
      const queuedAt = queue.indexOf(call);
      if (queuedAt === -1) continue;
      queue.splice(queuedAt, 1);
      this.#settle(call, undefined, reason);
      return;
    }
    const thread = [...this.#threads].find((t) => t.call === call);
    this.#settle(call, undefined, reason);
    if (thread && call.options.onCancel === "terminate") {
      // The thread is ended mid-call and leaves the pool now; a new one replaces it when work is waiting.
      thread.call = undefined;
      this.#retire(thread);
      void thread.worker.terminate();
    }
    // "detach": the thread finishes the call and its answer is dropped; it stays busy until then.
  }

  #settle(call: Call, value: unknown, error?: unknown): void {
    if (call.onAbort) call.options.signal?.removeEventListener("abort", call.onAbort);
    call.onAbort = undefined;
    if (error !== undefined) call.reject(error);
    else call.resolve(value);
  }
}
