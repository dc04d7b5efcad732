// Raw HTTP/1.1 clients over node:net for the hostile battery: exact bytes out; status lines, close and reset seen back.
// No HTTP library on this side on purpose: the battery sends what a library refuses to send.

import { connect, type Socket } from "node:net";

/** Connects to 127.0.0.1:port; rejects with the socket error (ECONNREFUSED, EMFILE ...) or after `timeoutMs`. */
export function open(port: number, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error("connect timed out"), { code: "CONNECT_TIMEOUT" }));
    }, timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
  });
}

/**
 * Opens `count` sockets, `batch` at a time; the ones that failed are counted by error code. Each socket gets a no-op
 * error listener as it connects: a server out of fds may reset one while later batches still connect, and an error
 * without a listener would be thrown in this process.
 */
export async function openMany(port: number, count: number, batch = 250, timeoutMs = 5_000): Promise<{ sockets: Socket[]; errors: Record<string, number> }> {
  const sockets: Socket[] = [];
  const errors: Record<string, number> = {};
  const opened = (socket: Socket) => socket.on("error", () => {});
  for (let i = 0; i < count; i += batch) {
    const settled = await Promise.allSettled(Array.from({ length: Math.min(batch, count - i) }, () => open(port, timeoutMs).then(opened)));
    for (const outcome of settled) {
      if (outcome.status === "fulfilled") sockets.push(outcome.value);
      else countError(errors, outcome.reason);
    }
  }
  return { sockets, errors };
}

export function countError(errors: Record<string, number>, error: unknown): void {
  const code = (error as { code?: string }).code ?? (error as Error).message ?? String(error);
  errors[code] = (errors[code] ?? 0) + 1;
}

/** The status codes of every response head in `text` (1xx included), in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]));
}

export interface Exchange {
  /** Every status line received, in order (100 Continue included). */
  statuses: number[];
  /** The first 64 KiB received (latin1). */
  text: string;
  /** Total bytes received. */
  bytes: number;
  /** The server closed the connection (FIN or reset) before we gave up waiting. */
  closed: boolean;
  reset: boolean;
  /** No close and no awaited response by `timeoutMs`. */
  timedOut: boolean;
  /** ms from the first write until the first status line, or null. */
  firstStatusMs: number | null;
  error: string | null;
}

export interface ExchangeOptions {
  /** Give up after this long. Default 5,000 ms. */
  timeoutMs?: number;
  /** Final (non-1xx) responses to wait for before lingering; default 1. */
  responses?: number;
  /** After the awaited responses, how long to watch for the server closing. Default 300 ms. */
  lingerMs?: number;
  /** Writes the request; default: writes `request` at once. */
  send?: (socket: Socket) => Promise<void> | void;
}

/** Connects, sends `request`, and reports what came back and whether the server closed the connection. */
export async function exchange(port: number, request: string | Buffer, options: ExchangeOptions = {}): Promise<Exchange> {
  const { timeoutMs = 5_000, responses = 1, lingerMs = 300 } = options;
  const result: Exchange = { statuses: [], text: "", bytes: 0, closed: false, reset: false, timedOut: false, firstStatusMs: null, error: null };
  let socket: Socket;
  try {
    socket = await open(port, timeoutMs);
  } catch (error) {
    result.error = (error as { code?: string }).code ?? String(error);
    return result;
  }
  const started = performance.now();
  return new Promise<Exchange>((resolve) => {
    let lingering: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(lingering);
      result.statuses = statuses(result.text);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      finish();
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      result.bytes += chunk.length;
      if (result.text.length < 65_536) result.text += chunk.toString("latin1");
      const seen = statuses(result.text);
      if (seen.length > 0 && result.firstStatusMs === null) result.firstStatusMs = performance.now() - started;
      if (!lingering && seen.filter((status) => status >= 200).length >= responses && responseComplete(result.text)) {
        lingering = setTimeout(finish, lingerMs);
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") {
        result.reset = true;
        result.closed = true;
      } else result.error = error.code ?? error.message;
      finish();
    });
    socket.on("close", () => {
      result.closed = true;
      finish();
    });
    void Promise.resolve(options.send ? options.send(socket) : void socket.write(request)).catch((error: unknown) => {
      result.error = String(error);
    });
  });
}

/** Whether the last response in `text` is complete: by Content-Length, a chunked terminator, or no body expected. */
function responseComplete(text: string): boolean {
  const start = text.lastIndexOf("HTTP/1.");
  const headEnd = text.indexOf("\r\n\r\n", start);
  if (headEnd < 0) return false;
  const head = text.slice(start, headEnd).toLowerCase();
  const body = text.slice(headEnd + 4);
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return body.endsWith("0\r\n\r\n");
  return true;
}

/** A GET on a fresh connection (Connection: close), for "is a new client still served". */
export async function freshGet(port: number, path = "/hello", timeoutMs = 2_000): Promise<{ status: number | null; ms: number | null; error: string | null }> {
  const result = await exchange(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, { timeoutMs, lingerMs: 0 });
  const status = result.statuses.find((s) => s >= 200) ?? null;
  return { status, ms: result.firstStatusMs === null ? null : Math.round(result.firstStatusMs), error: result.error ?? (result.timedOut ? "timeout" : null) };
}

/** Retries `freshGet` until a 200 or `withinMs` passed; resolves with the last outcome and the time it took. */
export async function helloWithin(port: number, withinMs: number): Promise<{ status: number | null; afterMs: number }> {
  const started = performance.now();
  let status: number | null = null;
  while (performance.now() - started < withinMs) {
    const left = Math.max(200, withinMs - (performance.now() - started));
    ({ status } = await freshGet(port, "/hello", Math.min(2_000, left)));
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { status, afterMs: Math.round(performance.now() - started) };
}
