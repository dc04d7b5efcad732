// The WebSocket a socket handler holds: messages in through `for await`, backpressured `send`, rooms, close codes.
// Runtime-neutral: an adapter attaches its runtime's native socket as a SocketTransport and reports its events.

import type { ChannelLayer, SocketMessage } from "./channel-layer.ts";
import type { Logger } from "./types.ts";

/** Largest message a socket accepts by default, in bytes (1 MiB); beyond it the socket closes with 1009. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** How long a socket may stay silent (no message, no pong) before it is dropped, in ms; a ping goes out at half. */
export const DEFAULT_IDLE_TIMEOUT = 120_000;
/** `send()` resolves once the bytes buffered for the peer are at or below this many (1 MiB). */
export const DEFAULT_SEND_HIGH_WATER_MARK = 1024 * 1024;
/**
 * Most bytes that may wait for a peer (16 MiB, Bun's own default): past it the peer is too slow
 * (a room member that stopped reading) and its connection is dropped, so it cannot grow the server's memory.
 */
export const DEFAULT_SEND_BUFFER_LIMIT = 16 * 1024 * 1024;
/** How often a `send()` waiting for the peer to read rechecks the buffer when the runtime gives no drain event, in ms. */
const DRAIN_POLL_MS = 10;

/** How a socket closed: the code and reason in the close frame, 1006 when the peer vanished without one. */
export interface SocketClose {
  code: number;
  reason: string;
}

/** The socket a handler receives. Iterate it for messages (text as string, binary as Uint8Array). */
export interface Socket extends AsyncIterable<SocketMessage> {
  /** A random id for this connection (a UUID), the `from` of chat messages and the key of logs. */
  readonly id: string;
  /** The negotiated subprotocol, or "" when none was. */
  readonly protocol: string;
  /** The rooms this socket joined. */
  readonly rooms: ReadonlySet<string>;
  /** The close code once closed (the peer's, or the one this side sent), else undefined. */
  readonly closeCode: number | undefined;
  /** The close reason once closed ("" when none was given). */
  readonly closeReason: string;
  /** Settles when the connection has closed, whoever closed it. */
  readonly closed: Promise<SocketClose>;
  /**
   * Queues `message` (string: a text frame; Uint8Array: a binary frame) and resolves once the bytes waiting for the
   * peer are at or below the route's `highWaterMark`, so a loop that awaits it never outruns a slow reader. Rejects
   * with SocketClosedError once the socket is closing.
   */
  send(message: SocketMessage): Promise<void>;
  /** Starts the closing handshake: `code` 1000 (default), 1001–1014 or 3000–4999; `reason` up to 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void;
  /** Receives what is published to `room` (by any process, with a shared channel layer) until `leave` or close. */
  join(room: string): Promise<void>;
  leave(room: string): Promise<void>;
}

/** What an adapter hands core: its native socket's operations. */
export interface SocketTransport {
  send(message: SocketMessage): void;
  /** Bytes queued for the peer and not yet written to the network. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /** Drops the connection without a close frame. */
  terminate(): void;
  /** Sends a ping; without it core keeps no idle timer (the runtime does it natively). */
  ping?(): void;
}

/** Thrown by `send` on a socket that is closing or closed. A handler that lets it escape ends quietly. */
export class SocketClosedError extends Error {
  constructor(message = "the socket is closed") {
    super(message);
    this.name = "SocketClosedError";
  }
}

const encoder = new TextEncoder();

/** Byte length of a message as it goes on the wire. */
export function messageSize(message: SocketMessage): number {
  if (typeof message !== "string") return message.byteLength;
  let bytes = 0;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < message.length && (message.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair
      i++;
    } else bytes += 3; // the rest of the BMP, and a lone surrogate (sent as U+FFFD)
  }
  return bytes;
}

/** Throws a RangeError unless `code` and `reason` may be sent in a close frame (RFC 6455 §7.4). */
export function checkClose(code: number, reason: string): void {
  const settable = code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
  if (!Number.isInteger(code) || !settable) throw new RangeError(`close code must be 1000, 1001-1014 (not 1004-1006) or 3000-4999, got ${code}`);
  if (encoder.encode(reason).byteLength > 123) throw new RangeError("close reason must be at most 123 UTF-8 bytes");
}

type State = "pending" | "open" | "closing" | "closed";

export interface ServerSocketOptions {
  id: string;
  protocol: string;
  maxMessageSize: number;
  idleTimeout: number;
  highWaterMark: number;
  sendBufferLimit: number;
  layer: ChannelLayer;
  logger: Logger;
}

/**
 * The socket behind a handler, and the session its adapter drives: `attach` once the native socket opened, then
 * `receive`, `activity` (pong or any frame), `drained` and `closed` from the native events.
 */
export class ServerSocket implements Socket {
  readonly id: string;
  readonly protocol: string;
  closeCode: number | undefined;
  closeReason = "";
  readonly closed: Promise<SocketClose>;
  /** Aborts when the connection closes for any reason: the handler's `ctx.signal`. */
  readonly signal: AbortSignal;
  readonly #options: ServerSocketOptions;
  readonly #abort = new AbortController();
  readonly #rooms = new Map<string, Promise<() => Promise<void>>>();
  readonly #inbox: SocketMessage[] = [];
  #reader: ((result: IteratorResult<SocketMessage>) => void) | undefined;
  #writers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #poll: ReturnType<typeof setInterval> | undefined;
  #idle: ReturnType<typeof setInterval> | undefined;
  #lastActivity = 0;
  #state: State = "pending";
  #transport: SocketTransport | undefined;
  #opened!: () => void;
  /** Resolves once the native socket is attached. */
  readonly opened = new Promise<void>((resolve) => (this.#opened = resolve));
  /** Settles once the handler returned and the connection closed (set by the socket route). */
  finished: Promise<void>;
  #settle!: (close: SocketClose) => void;

  constructor(options: ServerSocketOptions) {
    this.#options = options;
    this.id = options.id;
    this.protocol = options.protocol;
    this.signal = this.#abort.signal;
    this.closed = new Promise<SocketClose>((resolve) => (this.#settle = resolve));
    this.finished = this.closed.then(() => {});
  }

  get rooms(): ReadonlySet<string> {
    return new Set(this.#rooms.keys());
  }

  /** True until the closing handshake began. */
  get open(): boolean {
    return this.#state === "open";
  }

  // The adapter's side.

  attach(transport: SocketTransport): void {
    if (this.#state !== "pending") return;
    this.#transport = transport;
    this.#state = "open";
    this.#lastActivity = Date.now();
    const { idleTimeout } = this.#options;
    if (transport.ping && idleTimeout > 0) {
      // Checked every quarter: the ping goes out between half and three quarters of the timeout, so the peer always
      // has a quarter of it to answer. Checking every half let a first check that fired a hair early skip the ping,
      // and the next one drop a peer that had never been pinged (seen under CI load).
      this.#idle = setInterval(() => this.#checkIdle(), Math.max(1, idleTimeout / 4));
      (this.#idle as { unref?: () => void }).unref?.();
    }
    this.#opened();
  }

  /** A message arrived (a whole one: the runtime reassembles fragments). */
  receive(message: SocketMessage): void {
    this.#lastActivity = Date.now();
    if (this.#state !== "open") return;
    if (messageSize(message) > this.#options.maxMessageSize) {
      this.close(1009, `message bigger than ${this.#options.maxMessageSize} bytes`);
      return;
    }
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      reader({ value: message, done: false });
    } else {
      this.#inbox.push(message);
    }
  }

  /** Any sign of life from the peer (a pong, a ping). */
  activity(): void {
    this.#lastActivity = Date.now();
  }

  /** The runtime wrote some of its buffer: waiting sends recheck. */
  drained(): void {
    this.#release();
  }

  /**
   * The connection closed: the close frame's code and reason, 1005 for a frame without a code; a connection that
   * dropped without one is 1006 whatever the runtime reports (some say 0). Safe to call twice.
   */
  ended(code: number, reason: string): void {
    if (this.#state === "closed") return;
    if (!(code >= 1000 && code <= 4999)) code = 1006;
    this.#state = "closed";
    this.closeCode = code;
    this.closeReason = reason;
    clearInterval(this.#idle);
    clearInterval(this.#poll);
    this.#reader?.({ value: undefined, done: true });
    this.#reader = undefined;
    const writers = this.#writers;
    this.#writers = [];
    for (const writer of writers) writer.reject(new SocketClosedError());
    this.#abort.abort(new DOMException(`the socket closed (${code})`, "AbortError"));
    for (const room of [...this.#rooms.keys()]) void this.leave(room);
    this.#settle({ code, reason });
  }

  /** Drops the connection without a close frame (shutdown past its deadline, an idle peer). */
  terminate(): void {
    if (this.#state === "closed") return;
    if (this.#transport) this.#transport.terminate();
    else this.ended(1006, "");
  }

  // The handler's side.

  send(message: SocketMessage): Promise<void> {
    if (typeof message !== "string" && !(message instanceof Uint8Array)) {
      return Promise.reject(new TypeError(`send() takes a string or a Uint8Array, got ${typeof message}`));
    }
    if (this.#state !== "open") return Promise.reject(new SocketClosedError());
    if (this.#overLimit()) return Promise.reject(new SocketClosedError("the peer is too slow to read: dropped"));
    const transport = this.#transport!;
    transport.send(message);
    if (transport.bufferedAmount <= this.#options.highWaterMark) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#writers.push({ resolve, reject });
      if (this.#poll === undefined) this.#poll = setInterval(() => this.#release(), DRAIN_POLL_MS);
    });
  }

  /** Sends without waiting, ignoring a closed socket: how room messages reach members. */
  deliver(message: SocketMessage): void {
    if (this.#state !== "open" || this.#overLimit()) return;
    this.#transport!.send(message);
  }

  /**
   * Drops a peer that already has more than `sendBufferLimit` bytes waiting when another message comes (a close frame
   * would queue behind them): what waits stays below the limit plus one message.
   */
  #overLimit(): boolean {
    const buffered = this.#transport!.bufferedAmount;
    if (buffered <= this.#options.sendBufferLimit) return false;
    this.#options.logger.warn("socket too slow to read: dropped", { socket: this.id, bufferedBytes: buffered, sendBufferLimit: this.#options.sendBufferLimit });
    this.terminate();
    return true;
  }

  close(code = 1000, reason = ""): void {
    checkClose(code, reason);
    if (this.#state !== "open") return;
    this.#state = "closing";
    const writers = this.#writers;
    this.#writers = [];
    for (const writer of writers) writer.reject(new SocketClosedError("the socket is closing"));
    this.#transport!.close(code, reason);
  }

  async join(room: string): Promise<void> {
    if (this.#rooms.has(room)) return;
    if (this.#state === "closed") throw new SocketClosedError();
    const subscription = this.#options.layer.subscribe(room, (message) => this.deliver(message));
    this.#rooms.set(room, subscription);
    try {
      await subscription;
    } catch (error) {
      this.#rooms.delete(room);
      throw error;
    }
    if ((this.#state as State) === "closed") await this.leave(room);
  }

  async leave(room: string): Promise<void> {
    const subscription = this.#rooms.get(room);
    if (!subscription) return;
    this.#rooms.delete(room);
    try {
      await (await subscription)();
    } catch (error) {
      this.#options.logger.warn("leaving a room failed", { room, socket: this.id, error });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<SocketMessage> {
    return {
      next: () => {
        const message = this.#inbox.shift();
        if (message !== undefined) return Promise.resolve({ value: message, done: false });
        if (this.#state === "closed") return Promise.resolve({ value: undefined, done: true });
        if (this.#reader) return Promise.reject(new Error("the socket is already being read by another loop"));
        return new Promise((resolve) => (this.#reader = resolve));
      },
      // Leaving the loop early (break, return, throw) keeps the socket open; the handler's end closes it.
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  #release(): void {
    if (this.#writers.length === 0 || this.#state !== "open") return;
    if (this.#transport!.bufferedAmount > this.#options.highWaterMark) return;
    const writers = this.#writers;
    this.#writers = [];
    clearInterval(this.#poll);
    this.#poll = undefined;
    for (const writer of writers) writer.resolve();
  }

  #checkIdle(): void {
    const silent = Date.now() - this.#lastActivity;
    if (silent >= this.#options.idleTimeout) {
      this.#options.logger.info("socket idle past its timeout: dropped", { socket: this.id, idleTimeoutMs: this.#options.idleTimeout });
      this.terminate();
    } else if (silent >= this.#options.idleTimeout / 2) {
      this.#transport?.ping?.();
    }
  }
}
