// Raw-socket clients for the connection timeouts and limits (test/limits.test.ts runs them against each adapter's
// process): an idle keep-alive client, a slowloris, a silent one, a client that stops reading, an oversized head.

import { connect, type Socket } from "node:net";

/** How a connection ended, and after how many ms from the moment the probe started waiting. */
export interface Ending {
  end: "closed" | "open";
  ms: number;
  /** Everything the server sent on the connection. */
  bytes: Buffer;
}

function open(base: string): Promise<Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Waits until the server closes `socket` (FIN or reset), or `capMs` passes; ms counted from the call. */
function ending(socket: Socket, chunks: Buffer[], capMs: number): Promise<Ending> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (end: Ending["end"]) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ end, ms: Math.round(performance.now() - started), bytes: Buffer.concat(chunks) });
    };
    const timer = setTimeout(() => finish("open"), capMs);
    socket.on("error", () => finish("closed"));
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
  });
}

/** Bytes until one complete response with a Content-Length is in `chunks` (after `from` bytes); resolves its length. */
function response(socket: Socket, chunks: Buffer[], from = 0, capMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const text = Buffer.concat(chunks).subarray(from).toString("latin1");
      const headEnd = text.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
      if (text.length < headEnd + 4 + length) return;
      cleanup();
      resolve(text.slice(0, headEnd + 4 + length));
    };
    const fail = () => {
      cleanup();
      reject(new Error(`the connection ended before a whole response: ${JSON.stringify(Buffer.concat(chunks).toString("latin1").slice(0, 300))}`));
    };
    const timer = setTimeout(fail, capMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", check);
      socket.off("close", fail);
    };
    socket.on("data", check);
    socket.once("close", fail);
    check();
  });
}

function collect(socket: Socket): Buffer[] {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  return chunks;
}

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: limits.test\r\n${extra}\r\n`;

/** One GET on a new keep-alive connection, answered; then how long the idle connection stays open. */
export async function idleKeepAlive(base: string, capMs: number): Promise<Ending & { status: number }> {
  const socket = await open(base);
  const chunks = collect(socket);
  socket.write(get("/hello"));
  const first = await response(socket, chunks);
  const result = await ending(socket, chunks, capMs);
  return { ...result, status: Number(first.slice(9, 12)) };
}

/** Two requests on one connection: `/hello`, then a view that takes `ms` (longer than the keep-alive timeout). */
export async function slowViewOnKeptConnection(base: string, ms: number): Promise<number[]> {
  const socket = await open(base);
  const chunks = collect(socket);
  try {
    socket.write(get("/hello"));
    const first = await response(socket, chunks);
    socket.write(get(`/slow?ms=${ms}`));
    const second = await response(socket, chunks, Buffer.byteLength(first, "latin1"), ms + 10_000);
    return [Number(first.slice(9, 12)), Number(second.slice(9, 12))];
  } finally {
    socket.destroy();
  }
}

/** A connection that sends nothing: how long until the server closes it. */
export async function silent(base: string, capMs: number): Promise<Ending> {
  const socket = await open(base);
  return ending(socket, collect(socket), capMs);
}

/** A slowloris: a request line, then one header line every `everyMs`, the head never finished. */
export async function slowloris(base: string, everyMs: number, capMs: number): Promise<Ending> {
  const socket = await open(base);
  const chunks = collect(socket);
  socket.write("GET /hello HTTP/1.1\r\nHost: limits.test\r\n");
  let n = 0;
  const drip = setInterval(() => socket.writable && socket.write(`x-drip-${n++}: ${"a".repeat(8)}\r\n`), everyMs);
  try {
    return await ending(socket, chunks, capMs);
  } finally {
    clearInterval(drip);
  }
}

/** A GET whose head is `size` bytes (padded with one header), answered; the status line and body. */
export async function headOfSize(base: string, size: number): Promise<{ status: number; body: string; raw: string }> {
  const head = get("/hello", "x-pad: ");
  const pad = size - Buffer.byteLength(head) - 2;
  const socket = await open(base);
  const chunks = collect(socket);
  socket.write(`${head.slice(0, -2)}${"p".repeat(pad)}\r\n\r\n`);
  const result = await ending(socket, chunks, 3_000); // answered, then closed (an error) or kept open (a 200)
  const raw = result.bytes.toString("latin1");
  return { status: Number(raw.slice(9, 12)), body: raw.slice(raw.indexOf("\r\n\r\n") + 4), raw };
}

/** What a paused reader got: the status, the body bytes after the head, whether the body was whole, how it ended. */
export interface PausedRead {
  status: number;
  received: number;
  /** The body arrived whole: as many bytes as its Content-Length, or a chunked body's last chunk. */
  complete: boolean;
  /** "open": the connection was neither closed nor finished within the cap after reading resumed. */
  end: Ending["end"];
}

/**
 * A client that GETs `path` and does not read for `pauseMs`, then reads what comes for up to `capMs` (whatever the
 * server kept for it, unless it dropped the connection). A body the head gives no length or chunking to tell a cut
 * from an end by is an error.
 */
export async function pausedReader(base: string, path: string, pauseMs: number, capMs = 15_000): Promise<PausedRead> {
  const socket = await open(base);
  socket.pause();
  socket.write(get(path, "connection: close\r\n"));
  await new Promise((r) => setTimeout(r, pauseMs));
  const chunks = collect(socket);
  socket.resume();
  const { end, bytes } = await ending(socket, chunks, capMs);
  const headEnd = bytes.indexOf("\r\n\r\n");
  if (headEnd < 0) return { status: 0, received: 0, complete: false, end };
  const head = bytes.subarray(0, headEnd).toString("latin1");
  const received = bytes.byteLength - headEnd - 4;
  const declared = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
  if (declared === null && !chunked) throw new Error(`pausedReader: nothing in the head tells a cut body from a whole one:\n${head}`);
  const complete = declared !== null ? received === Number(declared[1]) : bytes.subarray(-7).toString("latin1") === "\r\n0\r\n\r\n";
  return { status: Number(head.slice(9, 12)), received, complete, end };
}

/** Asks for `path`, reads `bytes` of the answer (its head included), then reads nothing for `pauseMs` and closes. */
export async function readThenStop(base: string, path: string, bytes: number, pauseMs: number): Promise<void> {
  const socket = await open(base);
  socket.write(get(path, "connection: close\r\n"));
  await new Promise<void>((resolve) => {
    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received < bytes) return;
      socket.pause();
      resolve();
    });
    socket.once("close", () => resolve());
    socket.once("error", () => resolve());
  });
  await new Promise((r) => setTimeout(r, pauseMs));
  socket.destroy();
}

/** Opens `n` connections that send nothing and keeps them until `release()`; counts those refused or reset. */
export async function holdConnections(base: string, n: number): Promise<{ failed: () => number; release: () => void }> {
  const url = new URL(base);
  let failed = 0;
  const sockets: Socket[] = [];
  await Promise.all(
    Array.from({ length: n }, () => new Promise<void>((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => resolve());
      socket.on("error", () => {
        failed++;
        resolve();
      });
      sockets.push(socket);
    })),
  );
  return { failed: () => failed, release: () => sockets.forEach((socket) => socket.destroy()) };
}
