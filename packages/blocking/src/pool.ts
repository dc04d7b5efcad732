// The fixed pool of worker threads and the FIFO queue in front of it: a thread takes one request (or WebSocket), holds
// it until its response is complete (the socket closed), then takes the next. A thread that dies is replaced.

import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { Logger } from "@asyncview/core";
import type { BodyPiece } from "./body-source.ts";
import type { FromWorker, RequestMessage, ResponseMessage, SocketFromWorker, ToWorker, WorkerData } from "./protocol.ts";
import { BoundedQueue } from "./queue.ts";
import type { RoomHub, ThreadPost } from "./room-hub.ts";

/** The main thread's half of a job: a plain request (exchange.ts) or a WebSocket (socket-exchange.ts). */
export interface JobExchange {
  /** Writes one message of the worker's response; `ack` once the worker may send the next. */
  write(message: ResponseMessage, ack: () => void): void;
  /** The next piece of the request body. */
  pull(): Promise<BodyPiece>;
  /** The worker is done with the job (or died). */
  release(): void;
  /** Answers from the main thread (413, 503) with a core helper response, never reaching a thread. */
  respond(response: Response, closeConnection: boolean): void;
  /** A thread took the job: `post` reaches it (a socket's events go through it). */
  assigned?(post: (message: ToWorker, transfer?: ArrayBuffer[]) => void): void;
  /** A message about the job's WebSocket. */
  relay?(message: SocketFromWorker): void;
}

/** One request waiting for, or held by, a thread. */
export interface Job {
  message: RequestMessage;
  exchange: JobExchange;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

const WORKER_URL = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url); // dist/ ships .js

export interface PoolOptions {
  size: number;
  queueSize: number;
  /** file: URL of the app module every thread imports. */
  appModule: string;
  logger: Logger;
  /** ServeOptions.crashOnUnhandled: a thread that dies ends the process (exit 1) instead of being replaced. */
  crashOnUnhandled: boolean;
  /** The rooms every thread's channel layer goes through. */
  rooms: RoomHub;
}

/**
 * Node 24's V8 can abort a process whose threads run WebAssembly (undici's fetch parser, the type stripper) with
 * `Check failed: jit_page.has_value()`: seen once in CI, in this pool's process, in a thread tiering up a
 * wasm-to-JS wrapper and freeing one from the wrapper cache all threads share. Wrappers that stay generic (never
 * tiered up) take that path away, for this process only; it costs each wasm-to-JS call 15-35 ns (measured).
 */
function keepWasmWrappersGeneric(): void {
  setFlagsFromString("--wasm-wrapper-tiering-budget=2147483647");
}

export class WorkerPool {
  readonly size: number;
  readonly #options: PoolOptions;
  readonly #queue: BoundedQueue<Job>;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  #stopping = false;
  #shedding = false;

  constructor(options: PoolOptions) {
    this.size = options.size;
    this.#options = options;
    this.#queue = new BoundedQueue(options.queueSize);
  }

  /** Starts every thread; resolves once each imported the app and ran its startup hooks. */
  async start(): Promise<void> {
    keepWasmWrappersGeneric();
    const started = Array.from({ length: this.size }, () => this.#spawn());
    const results = await Promise.allSettled(started);
    const failure = results.find((r) => r.status === "rejected");
    if (failure) {
      await Promise.all([...this.#slots].map((slot) => slot.worker.terminate()));
      throw (failure as PromiseRejectedResult).reason;
    }
  }

  /** Hands `job` to a free thread, or queues it; false when the queue is full. */
  submit(job: Job): boolean {
    const slot = this.#idle.pop();
    if (slot) {
      this.#assign(slot, job);
      return true;
    }
    return !this.#shedding && this.#queue.offer(job);
  }

  /** The client of `job` left, or the server gave up on it: drop it from the queue (true) or tell its thread. */
  cancel(job: Job, reason: string, name?: "TimeoutError"): boolean {
    if (this.#queue.remove(job)) return true;
    for (const slot of this.#slots) {
      if (slot.job === job) this.#post(slot, { type: "abort", id: job.message.id, reason, name });
    }
    return false;
  }

  /**
   * The server is closing: every request still waiting for a thread is handed back (to be answered 503 at once),
   * and from now on a request finds a free thread or none (submit is false), never a place in the queue.
   */
  shed(): Job[] {
    this.#shedding = true;
    const waiting: Job[] = [];
    for (let job = this.#queue.take(); job !== undefined; job = this.#queue.take()) waiting.push(job);
    return waiting;
  }

  /** Runs each thread's shutdown hooks (within `timeout` ms), then ends the threads. */
  async stop(timeout: number): Promise<void> {
    this.#stopping = true;
    const stopped = [...this.#slots].map(async (slot) => {
      const done = new Promise<void>((resolve) => {
        slot.worker.on("message", (m: FromWorker) => m.type === "stopped" && resolve());
        slot.worker.once("exit", () => resolve());
      });
      this.#post(slot, { type: "shutdown", timeout });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeout + 1000)))]);
      clearTimeout(timer);
      await slot.worker.terminate();
    });
    await Promise.all(stopped);
  }

  #spawn(): Promise<void> {
    const data: WorkerData = { appModule: this.#options.appModule, crashOnUnhandled: this.#options.crashOnUnhandled };
    const worker = new Worker(WORKER_URL, { workerData: data });
    const slot: Slot = { worker, job: undefined };
    this.#slots.add(slot);
    const rooms: ThreadPost = (message) => this.#post(slot, message);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            ready = true;
            this.#release(slot);
            resolve();
            return;
          case "failed":
            reject(new Error(message.message));
            return;
          case "done":
            slot.job?.exchange.release();
            slot.job = undefined;
            this.#release(slot);
            return;
          case "pull": {
            const job = slot.job;
            void job?.exchange.pull().then((piece) => {
              if (slot.job !== job) return; // the request ended meanwhile; its thread waits for nothing
              this.#post(slot, { type: "body", id: message.id, ...piece }, piece.bytes ? [piece.bytes.buffer as ArrayBuffer] : []);
            });
            return;
          }
          case "stopped":
            return;
          case "subscribe":
          case "unsubscribe":
          case "publish":
            this.#options.rooms.handle(rooms, message);
            return;
          case "upgrade":
          case "send":
          case "close":
          case "terminate":
          case "ping":
            slot.job?.exchange.relay?.(message);
            return;
          default: {
            const job = slot.job;
            if (job === undefined) return;
            try {
              job.exchange.write(message, () => this.#post(slot, { type: "ack", id: message.id }));
            } catch (error) {
              // A response node:http refuses (a header value it will not send; the worker checks the status first):
              // the client gets the 500 (or a cut body), and the worker is told to stop, so its thread goes on rather
              // than wait for acks of chunks nobody writes.
              this.#options.logger.error("blocking: the response could not be written", { error, requestId: job.message.requestId });
              job.exchange.write({ type: "fail", id: message.id }, () => {});
              this.cancel(job, "the response could not be written");
            }
          }
        }
      });
      worker.on("error", (error) => {
        if (!ready) reject(error);
        else this.#options.logger.error("blocking: a worker thread crashed", { error });
      });
      worker.on("exit", (code) => {
        this.#slots.delete(slot);
        this.#options.rooms.forget(rooms);
        const at = this.#idle.indexOf(slot);
        if (at !== -1) this.#idle.splice(at, 1);
        if (!ready || this.#stopping) return;
        if (this.#options.crashOnUnhandled) {
          this.#options.logger.error("blocking: a worker thread exited; exiting (crashOnUnhandled)", { code });
          process.exit(1);
        }
        this.#options.logger.error("blocking: a worker thread exited; starting a new one", { code });
        slot.job?.exchange.write({ type: "fail", id: slot.job.message.id }, () => {});
        slot.job?.exchange.release();
        this.#spawn().catch((error: unknown) => this.#options.logger.error("blocking: cannot replace a worker thread", { error }));
      });
    });
  }

  /** The thread is free: give it the oldest waiting request, or mark it idle. */
  #release(slot: Slot): void {
    const next = this.#queue.take();
    if (next) this.#assign(slot, next);
    else this.#idle.push(slot);
  }

  #assign(slot: Slot, job: Job): void {
    slot.job = job;
    job.exchange.assigned?.((message, transfer) => {
      if (slot.job === job) this.#post(slot, message, transfer);
    });
    this.#post(slot, job.message);
  }

  #post(slot: Slot, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(message, transfer);
  }
}
