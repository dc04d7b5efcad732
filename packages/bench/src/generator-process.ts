// The harness's own load generator, run as its own process on the load core: a minimal HTTP/1.1 client on raw
// keep-alive sockets. Open loop sends at a constant rate and measures each latency from the request's intended send time.
//
// Usage: node generator-process.ts '<json GeneratorConfig>'   prints one line "GENERATOR_JSON {...}" when done.

import type { HttpMethod } from "./scenarios.ts";
import { connect, type Socket } from "node:net";
import { Histogram } from "./histogram.ts";

export interface GeneratorConfig {
  url: string;
  method: HttpMethod;
  body?: string;
  connections: number;
  durationS: number;
  /** "open": `rate` requests per second on schedule; "closed": each connection sends again as soon as it is answered. */
  mode: "open" | "closed";
  rate?: number;
  /** How long to wait after the run for requests still outstanding (they then count as timeouts), ms. */
  drainMs?: number;
}

export interface GeneratorOutput {
  requests: number;
  sent: number;
  durationS: number;
  /** The generator's CPU use during the measured window, % of one core. */
  cpuPct: number;
  errors: { non2xx: number; socket: number; timeouts: number };
  histogram: { pairs: [number, number][]; min: number; max: number; sum: number };
}

/** Parses one HTTP/1.1 response at a time out of a byte stream (Content-Length or chunked bodies). */
export class ResponseParser {
  #buffer: Buffer = Buffer.alloc(0);
  #status = 0;
  #state: "head" | "length" | "chunk-size" | "chunk-data" | "trailer" = "head";
  #remaining = 0;

  #close = false;

  /** Feeds bytes; returns the responses they completed: status, and whether the server closes the connection. */
  push(chunk: Buffer): { status: number; close: boolean }[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const done: { status: number; close: boolean }[] = [];
    for (;;) {
      if (this.#state === "head") {
        const end = this.#buffer.indexOf("\r\n\r\n");
        if (end < 0) return done;
        const head = this.#buffer.toString("latin1", 0, end);
        this.#buffer = this.#buffer.subarray(end + 4);
        this.#status = Number(head.slice(9, 12));
        if (this.#status >= 100 && this.#status < 200 && this.#status !== 101) continue; // interim: the answer follows
        this.#close = /\r\nconnection:\s*close/i.test(head) || head.startsWith("HTTP/1.0");
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) this.#state = "chunk-size";
        else {
          this.#remaining = length ? Number(length[1]) : 0;
          this.#state = "length";
        }
      } else if (this.#state === "length") {
        if (this.#buffer.length < this.#remaining) {
          this.#remaining -= this.#buffer.length;
          this.#buffer = Buffer.alloc(0);
          return done;
        }
        this.#buffer = this.#buffer.subarray(this.#remaining);
        this.#state = "head";
        done.push({ status: this.#status, close: this.#close });
      } else if (this.#state === "chunk-size") {
        const end = this.#buffer.indexOf("\r\n");
        if (end < 0) return done;
        const size = parseInt(this.#buffer.toString("latin1", 0, end), 16);
        this.#buffer = this.#buffer.subarray(end + 2);
        if (size === 0) this.#state = "trailer";
        else {
          this.#remaining = size + 2; // the data and its CRLF
          this.#state = "chunk-data";
        }
      } else if (this.#state === "chunk-data") {
        const take = Math.min(this.#remaining, this.#buffer.length);
        this.#buffer = this.#buffer.subarray(take);
        this.#remaining -= take;
        if (this.#remaining > 0) return done;
        this.#state = "chunk-size";
      } else {
        const end = this.#buffer.indexOf("\r\n");
        if (end < 0) return done;
        this.#buffer = this.#buffer.subarray(end + 2);
        if (end === 0) {
          this.#state = "head";
          done.push({ status: this.#status, close: this.#close });
        }
      }
    }
  }
}

export function requestBytes(config: Pick<GeneratorConfig, "url" | "method" | "body">): Buffer {
  const url = new URL(config.url);
  const body = config.body === undefined ? undefined : Buffer.from(config.body);
  const head = [`${config.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  if (body) head.push("Content-Type: application/json", `Content-Length: ${body.length}`);
  const bytes = Buffer.from(head.join("\r\n") + "\r\n\r\n");
  return body ? Buffer.concat([bytes, body]) : bytes;
}

export async function generate(config: GeneratorConfig): Promise<GeneratorOutput> {
  const url = new URL(config.url);
  const bytes = requestBytes(config);
  const histogram = new Histogram();
  const errors = { non2xx: 0, socket: 0, timeouts: 0 };
  const interval = config.mode === "open" ? 1000 / (config.rate ?? 1) : 0;
  /** Intended send times (ms, performance.now) of requests due but waiting for a free connection. */
  const queue: number[] = [];
  let head = 0;
  let sent = 0;
  let completed = 0;
  let running = true;
  /** Completions after this instant are drained, not counted in the rate. */
  let stopAt = Number.POSITIVE_INFINITY;
  let firstDone = 0;
  let lastDone = 0;

  interface Conn {
    socket: Socket;
    parser: ResponseParser;
    /** When the request in flight was meant to be sent; null when idle. */
    intended: number | null;
  }
  const idle: Conn[] = [];
  /** Every connection still open, the reconnected ones included. */
  const live = new Set<Conn>();
  let started = false;

  const send = (conn: Conn, intended: number) => {
    conn.intended = intended;
    sent++;
    conn.socket.write(bytes);
  };
  const next = (conn: Conn) => {
    if (config.mode === "closed") {
      if (running) send(conn, performance.now());
      else idle.push(conn);
    } else if (head < queue.length) send(conn, queue[head++]!);
    else idle.push(conn);
  };

  function open(): Promise<Conn> {
    return new Promise((resolve) => {
      const conn: Conn = { socket: connect(Number(url.port), url.hostname), parser: new ResponseParser(), intended: null };
      conn.socket.setNoDelay(true);
      live.add(conn);
      conn.socket.on("connect", () => resolve(conn));
      conn.socket.on("data", (chunk: Buffer) => {
        for (const { status, close } of conn.parser.push(chunk)) {
          const now = performance.now();
          if (conn.intended !== null) histogram.record((now - conn.intended) * 1000);
          conn.intended = null;
          // Closed loop counts what completed within the window; open loop every request it scheduled there.
          if (config.mode === "open" || now <= stopAt) completed++;
          if (firstDone === 0) firstDone = now;
          lastDone = now;
          // Counted as wrk counts its "status" errors, so both tools report the same thing.
          if (status >= 400) errors.non2xx++;
          if (close) conn.socket.end(); // the server closes it: a fresh connection takes over
          else next(conn);
        }
      });
      conn.socket.on("error", () => {
        errors.socket++;
        resolve(conn);
      });
      conn.socket.on("close", () => {
        // A lost request is re-queued on a fresh connection (open loop keeps its intended time).
        const lost = conn.intended;
        conn.intended = null;
        live.delete(conn);
        const i = idle.indexOf(conn);
        if (i >= 0) idle.splice(i, 1);
        if (!running && lost === null) return;
        if (lost !== null) {
          errors.socket++;
          if (config.mode === "open") queue.splice(head, 0, lost);
        }
        // Reconnect after a short pause (no tight loop against a server refusing connections).
        if (running && started) {
          setTimeout(() => void open().then((fresh) => (fresh.socket.readyState === "open" ? next(fresh) : undefined)), 10);
        }
      });
    });
  }

  const conns = await Promise.all(Array.from({ length: config.connections }, open));
  const ready = conns.filter((c) => c.socket.readyState === "open");
  if (ready.length === 0) throw new Error(`cannot connect to ${url.host}`);
  const t0 = performance.now();
  const cpuAtStart = process.cpuUsage();
  started = true;
  stopAt = t0 + config.durationS * 1000;
  for (const conn of ready) next(conn);

  if (config.mode === "open") {
    // Every tick, queue the requests whose intended time has come and hand them to idle connections.
    let scheduled = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = Math.min(performance.now(), stopAt);
        const due = Math.floor((now - t0) / interval);
        for (; scheduled <= due && t0 + scheduled * interval < stopAt; scheduled++) queue.push(t0 + scheduled * interval);
        while (idle.length > 0 && head < queue.length) send(idle.pop()!, queue[head++]!);
        if (performance.now() >= stopAt) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
  } else {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stopAt - performance.now())));
  }
  running = false;
  const measuredS = (performance.now() - t0) / 1000;
  // The generator's own CPU over the measured window only (not its start-up or the drain).
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuPct = (100 * (cpu.user + cpu.system)) / 1000 / (measuredS * 1000);
  // Drain: outstanding requests may finish; what is still waiting afterwards counts as a timeout at its age.
  const drainUntil = performance.now() + (config.drainMs ?? 5000);
  const outstanding = () => queue.length - head + [...live].filter((c) => c.intended !== null).length;
  while (outstanding() > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  // Open loop: the rate is what the server sustained, the completions over the span they took (a server
  // that keeps up takes the run's length; one that falls behind takes longer, drain included). Never shorter
  // than the schedule: a server that stalls at first and then answers the backlog in a burst must not be
  // credited with more than the offered rate.
  const openSpanS = completed > 1 ? Math.max((lastDone - firstDone) / 1000 + interval / 1000, config.durationS) : measuredS;
  const now = performance.now();
  for (let i = head; i < queue.length; i++) {
    histogram.record((now - queue[i]!) * 1000);
    errors.timeouts++;
  }
  for (const conn of live) {
    // Open loop: a request still unanswered counts at its age. Closed loop (as wrk): the run simply ended.
    if (conn.intended !== null && config.mode === "open") {
      histogram.record((now - conn.intended) * 1000);
      errors.timeouts++;
    }
    conn.socket.destroy();
  }
  return {
    requests: completed,
    sent,
    durationS: config.mode === "open" ? openSpanS : measuredS,
    cpuPct,
    errors,
    histogram: { pairs: histogram.toPairs(), min: histogram.count ? histogram.min : 0, max: histogram.max, sum: histogram.sum },
  };
}

if (import.meta.main) {
  const config = JSON.parse(process.argv[2] ?? "{}") as GeneratorConfig;
  generate(config).then(
    (output) => {
      process.stdout.write(`GENERATOR_JSON ${JSON.stringify(output)}\n`);
      process.exit(0);
    },
    (error: Error) => {
      process.stderr.write(`generator: ${error.message}\n`);
      process.exit(1);
    },
  );
}
