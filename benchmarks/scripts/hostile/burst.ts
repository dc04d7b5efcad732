// Many concurrent one-shot requests (Connection: close), each outcome kept: a status, or eof / reset / timeout / a
// connect error. Split across child processes (fds raised to the hard limit) of at most SHARD sockets each.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "node:net";
import { withFdLimit } from "./server.ts";
import { median, percentile } from "./types.ts";

/** Most sockets one client process opens (the machine's fd limit is 20,000 per process). */
export const SHARD = 10_000;

export interface Outcome {
  /** The final status, or how it ended without one: "eof", "reset", "timeout", or a connect error code. */
  end: number | string;
  /** ms from connect until the end. */
  ms: number;
  /** Date.now() at the end (the same clock in every process). */
  endAt: number;
  retryAfter: boolean;
}

function one(port: number, path: string, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let text = "";
    let done = false;
    const socket = connect({ host: "127.0.0.1", port });
    const finish = (end: number | string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({
        end: end ?? (status ? Number(status[1]) : "eof"),
        ms: Math.round(performance.now() - started),
        endAt: Date.now(),
        retryAfter: /\r\nretry-after:/i.test(text),
      });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      if (text.length < 4_096) text += chunk.toString("latin1");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      finish(status ? Number(status[1]) : error.code === "ECONNRESET" || error.code === "EPIPE" ? "reset" : (error.code ?? error.message));
    });
    socket.on("close", () => finish(null));
  });
}

/** `count` requests at once from this process. */
export function burstHere(port: number, path: string, count: number, timeoutMs: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: count }, () => one(port, path, timeoutMs)));
}

export interface BurstSummary {
  count: number;
  /** How many ended each way (a status, "eof", "reset", "timeout", a connect error). */
  ends: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  without503RetryAfter: number;
  p50ms: Record<string, number | null>;
  p99ms: Record<string, number | null>;
  /** Date.now() when the last request ended. */
  lastEndAt: number;
  outcomes: Outcome[];
}

export function summarize(outcomes: Outcome[]): BurstSummary {
  const ends: Record<string, number> = {};
  const times: Record<string, number[]> = {};
  for (const outcome of outcomes) {
    const key = String(outcome.end);
    ends[key] = (ends[key] ?? 0) + 1;
    (times[key] ??= []).push(outcome.ms);
  }
  return {
    count: outcomes.length,
    ends,
    without503RetryAfter: outcomes.filter((o) => o.end === 503 && !o.retryAfter).length,
    p50ms: Object.fromEntries(Object.entries(times).map(([key, ms]) => [key, median(ms)])),
    p99ms: Object.fromEntries(Object.entries(times).map(([key, ms]) => [key, percentile(ms, 99)])),
    lastEndAt: Math.max(0, ...outcomes.map((o) => o.endAt)),
    outcomes,
  };
}

/** `count` concurrent requests, in child processes of at most SHARD sockets each, started together. */
export async function burst(port: number, path: string, count: number, timeoutMs: number): Promise<BurstSummary> {
  const shards = Math.ceil(count / SHARD);
  const parts = await Promise.all(
    Array.from({ length: shards }, (_, i) => {
      const n = Math.floor(count / shards) + (i < count % shards ? 1 : 0);
      return runShard(port, path, n, timeoutMs);
    }),
  );
  return summarize(parts.flat());
}

function runShard(port: number, path: string, count: number, timeoutMs: number): Promise<Outcome[]> {
  const args = [fileURLToPath(import.meta.url), "--port", String(port), "--path", path, "--count", String(count), "--timeout", String(timeoutMs)];
  const { command, args: launch } = withFdLimit("hard", process.execPath, args);
  const child = spawn(command, launch, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`burst client exited with ${code}`));
      else resolve(JSON.parse(out) as Outcome[]);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string" }, path: { type: "string" }, count: { type: "string" }, timeout: { type: "string" } } });
  const outcomes = await burstHere(Number(values.port), values.path!, Number(values.count), Number(values.timeout));
  process.stdout.write(JSON.stringify(outcomes));
}
