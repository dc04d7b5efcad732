// The WebSocket load client, run as its own process on the load core (the `ws` package): opens N sockets, then
// echo (closed-loop round trips), idle (holds them until stdin ends) or broadcast (one text to a room, timed to its last member).
//
// Usage: node ws-client.ts '<json WsClientConfig>'   prints "WSCLIENT_OPENED {...}" once every socket is open or
// failed, then one line "WSCLIENT_JSON {...}" (WsClientOutput) when done.

import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { Histogram } from "./histogram.ts";

export interface WsClientConfig {
  /** ws://127.0.0.1:PORT/ws/echo or /ws/chat/<room>. */
  url: string;
  mode: "echo" | "idle" | "broadcast";
  sockets: number;
  /** Sockets opening at once (the server's listen backlog is finite). */
  openConcurrency?: number;
  /** A socket not open within this is a failure, ms. */
  openTimeoutMs?: number;
  /** echo: unmeasured round trips first, then the measured window, s. */
  warmupS?: number;
  durationS?: number;
  /** echo: the message size, bytes (ASCII text). */
  messageBytes?: number;
  /** broadcast: how many texts are sent to the room, one at a time, each waited for on every member. */
  broadcasts?: number;
  /** broadcast: a text not seen by every member within this counts as lost, ms. */
  broadcastTimeoutMs?: number;
}

export interface WsClientOutput {
  opened: number;
  failed: number;
  /** The first few reasons an open failed (status and body of a refused upgrade, or the socket error). */
  failures: string[];
  /** Sockets the server closed while the client still needed them. */
  closedEarly: number;
  /** echo: round trips in the measured window, their rate, the HDR histogram of their latency (µs). */
  roundTrips?: number;
  /** echo: every round trip after the sockets opened, the warm-up and the drain included (server CPU per message). */
  allRoundTrips?: number;
  durationS?: number;
  /** echo: answers that were not the message sent. */
  wrongAnswers?: number;
  histogram?: { pairs: [number, number][]; min: number; max: number; sum: number };
  /** broadcast: ms from the send until the last member had it, one per broadcast delivered to all. */
  broadcastMs?: number[];
  /** broadcast: texts some member never received within the timeout. */
  lost?: number;
  /** The client's CPU use during the measured window, % of one core. */
  cpuPct: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `n` sockets to `url`, `concurrency` at a time; each settles open or failed (refused, error, timeout). */
async function openAll(url: string, n: number, concurrency: number, timeoutMs: number, onMessage: (index: number, data: string) => void) {
  const sockets: WebSocket[] = [];
  const failures: string[] = [];
  let failed = 0;
  let closedEarly = 0;
  let next = 0;
  const fail = (why: string) => {
    failed++;
    if (failures.length < 5) failures.push(why);
  };
  const openOne = (index: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      let settled = false;
      const settle = (why: string | null) => {
        if (settled) return;
        settled = true;
        if (why === null) sockets[index] = ws;
        else fail(why);
        resolve();
      };
      ws.on("open", () => settle(null));
      ws.on("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk));
        response.on("end", () => settle(`upgrade refused: ${response.statusCode} ${body.slice(0, 200)}`));
        response.on("error", () => settle(`upgrade refused: ${response.statusCode}`));
      });
      ws.on("error", (error) => settle(`socket error: ${error.message}`));
      ws.on("close", () => {
        if (settled && sockets[index] === ws && !closing) closedEarly++;
        settle("closed before opening");
      });
      ws.on("message", (data: Buffer) => onMessage(index, data.toString()));
    });
  const workers = Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await openOne(next++);
  });
  await Promise.all(workers);
  return { sockets, failures, failed: () => failed, closedEarly: () => closedEarly };
}

let closing = false;

function cpuPct(since: NodeJS.CpuUsage, wallMs: number): number {
  const used = process.cpuUsage(since);
  return wallMs > 0 ? (100 * (used.user + used.system)) / 1000 / wallMs : 0;
}

async function echo(config: WsClientConfig): Promise<WsClientOutput> {
  const message = "x".repeat(config.messageBytes ?? 64);
  const histogram = new Histogram();
  const sentAt: number[] = [];
  let measuring = false;
  let sending = true;
  let roundTrips = 0;
  let allRoundTrips = 0;
  let wrongAnswers = 0;
  let outstanding = 0;
  let sockets: WebSocket[] = [];
  const send = (index: number) => {
    sentAt[index] = performance.now();
    outstanding++;
    sockets[index]!.send(message);
  };
  const opened = await openAll(config.url, config.sockets, config.openConcurrency ?? 100, config.openTimeoutMs ?? 10_000, (index, data) => {
    outstanding--;
    allRoundTrips++;
    if (data !== message) wrongAnswers++;
    if (measuring) {
      histogram.record((performance.now() - sentAt[index]!) * 1000);
      roundTrips++;
    }
    if (sending) send(index);
  });
  sockets = opened.sockets;
  const ready = sockets.flatMap((ws, i) => (ws ? [i] : []));
  console.log(`WSCLIENT_OPENED ${JSON.stringify({ opened: ready.length, failed: opened.failed() })}`);
  for (const i of ready) send(i);
  await sleep((config.warmupS ?? 0) * 1000);
  measuring = true;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep((config.durationS ?? 5) * 1000);
  measuring = false;
  const wall = performance.now() - started;
  const pct = cpuPct(cpu, wall);
  sending = false;
  const drainUntil = performance.now() + 2000;
  while (outstanding > 0 && performance.now() < drainUntil) await sleep(10);
  closing = true;
  return {
    opened: ready.length,
    failed: opened.failed(),
    failures: opened.failures,
    closedEarly: opened.closedEarly(),
    roundTrips,
    allRoundTrips,
    durationS: wall / 1000,
    wrongAnswers,
    histogram: { pairs: histogram.toPairs(), min: histogram.count ? histogram.min : 0, max: histogram.max, sum: histogram.sum },
    cpuPct: pct,
  };
}

async function idle(config: WsClientConfig): Promise<WsClientOutput> {
  const opened = await openAll(config.url, config.sockets, config.openConcurrency ?? 100, config.openTimeoutMs ?? 10_000, () => {});
  const count = opened.sockets.filter(Boolean).length;
  console.log(`WSCLIENT_OPENED ${JSON.stringify({ opened: count, failed: opened.failed() })}`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Held open until the harness has read the server's memory and closes our stdin.
  await new Promise<void>((resolve) => {
    process.stdin.on("data", () => {});
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  const pct = cpuPct(cpu, performance.now() - started);
  const closedEarly = opened.closedEarly();
  closing = true;
  return { opened: count, failed: opened.failed(), failures: opened.failures, closedEarly, cpuPct: pct };
}

async function broadcast(config: WsClientConfig): Promise<WsClientOutput> {
  let lastMessageAt = performance.now();
  let token = "";
  let seen = 0;
  const seenBy = new Set<number>();
  let allSeen = () => {};
  const opened = await openAll(config.url, config.sockets, config.openConcurrency ?? 100, config.openTimeoutMs ?? 10_000, (index, data) => {
    lastMessageAt = performance.now();
    // A plain substring test: the client must not be what the broadcast waits on.
    if (token && !seenBy.has(index) && data.includes(token)) {
      seenBy.add(index);
      if (++seen === members.length) allSeen();
    }
  });
  const members = opened.sockets.flatMap((ws) => (ws ? [ws] : []));
  console.log(`WSCLIENT_OPENED ${JSON.stringify({ opened: members.length, failed: opened.failed() })}`);
  // Every join announced to every member already in the room (N^2 / 2 messages): wait until the room is quiet.
  const quietUntil = performance.now() + 60_000;
  while (performance.now() - lastMessageAt < 500 && performance.now() < quietUntil) await sleep(50);
  const times: number[] = [];
  let lost = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let b = 0; b < (config.broadcasts ?? 100) && members.length > 0; b++) {
    token = `"text":"broadcast-${b}-${Math.random().toString(36).slice(2)}"`;
    seen = 0;
    seenBy.clear();
    const sentAt = performance.now();
    members[0]!.send(token.slice(8, -1));
    const finished = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), config.broadcastTimeoutMs ?? 10_000);
      allSeen = () => {
        clearTimeout(timer);
        resolve(performance.now() - sentAt);
      };
    });
    if (finished === null) lost++;
    else times.push(finished);
    token = "";
    await sleep(20);
  }
  const pct = cpuPct(cpu, performance.now() - started);
  closing = true;
  return { opened: members.length, failed: opened.failed(), failures: opened.failures, closedEarly: opened.closedEarly(), broadcastMs: times, lost, cpuPct: pct };
}

const config = JSON.parse(process.argv[2] ?? "{}") as WsClientConfig;
const run = config.mode === "echo" ? echo : config.mode === "idle" ? idle : broadcast;
run(config).then(
  (output) => {
    console.log(`WSCLIENT_JSON ${JSON.stringify(output)}`);
    // Exiting drops every socket at once (the server sees resets), faster than N closing handshakes.
    process.exit(0);
  },
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
