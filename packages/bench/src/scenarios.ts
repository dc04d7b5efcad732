// The scenarios: the demo's views as requests, each with the answer every target must give before it is timed,
// its default closed-loop connection counts and, for I/O-bound ones, the wait the model lines are drawn from.

import { fanoutLatency } from "./model.ts";

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** The methods a scenario may send (the user's app may have any of them). */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export const HTTP_METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export interface Scenario {
  name: string;
  /** One line for --help and the report. */
  description: string;
  method: HttpMethod;
  path: string;
  body?: string;
  /** The time each request waits on I/O (sleep, upstream) when the server is not the bottleneck, ms; null for CPU-bound ones. */
  ioLatencyMs: number | null;
  /** Shortest measurement, s: a closed loop of requests that each take L completes whole rounds of C, so a
   * run must be many times L for its req/s to approach C / L (a 2 s run of 100 ms requests reads 95%). */
  minDurationS?: number;
  /** Closed-loop connection counts measured when --connections is not given. */
  connections: number[];
  /**
   * Open-loop arrival rates (req/s) measured when --rate is not given, beside the efficiency rate. The I/O scenarios
   * have a few, past the blocking baseline's T / L, so the report draws their latency against offered rate (wrk2's curve).
   */
  rates: number[];
  /** Needs the upstream service. */
  upstream?: boolean;
  /** Fan-out: upstream calls per request and each call's latency, ms (the model's client bound, the upstream's count). */
  fanout?: { n: number; callMs: number };
  /**
   * The fixed open-loop rate, req/s, of the efficiency run (server CPU per request): well below every target's
   * ceiling, so every target serves it all and the CPU per request compares like with like (see EFFICIENCY_RATES).
   */
  efficiencyRate: number;
  /** Why `answer` is wrong, or null when it is right. */
  verify(answer: Answer): string | null;
  /** The user's app: no answer is known in advance, so the runtimes' answers are compared with each other. */
  differential?: boolean;
}

/** The demo's /sleep wait, the seed's asyncio.sleep. */
export const SLEEP_MS = 100;
/** Upstream calls per /gather and /sequential request, and each call's latency. */
export const FANOUT_N = 10;
export const FANOUT_MS = 50;
/** /cpu and /cpu-offload work: primes below this (a few ms of work). */
export const CPU_N = 20_000;
/** /stream lines per request. */
export const STREAM_LINES = 10;
const ECHO_BODY = JSON.stringify({ hello: "world", n: [1, 2, 3], nested: { ok: true, text: "héllo ✓" } });

/** The primes below n by a sieve: an oracle independent of the demo's trial division. */
export function primesBelow(n: number): number {
  const composite = new Uint8Array(Math.max(n, 2));
  let count = 0;
  for (let k = 2; k < n; k++) {
    if (composite[k]) continue;
    count++;
    for (let m = k * k; m < n; m += k) composite[m] = 1;
  }
  return count;
}

function parse(body: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(body) as unknown };
  } catch {
    return { error: `body is not JSON: ${JSON.stringify(body.slice(0, 80))}` };
  }
}

/** Deep equality of JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A verifier: status 200, the content type, then `check` on the parsed JSON body. */
function jsonAnswer(check: (value: unknown) => string | null): (answer: Answer) => string | null {
  return (answer) => {
    if (answer.status !== 200) return `status ${answer.status}, expected 200 (body ${JSON.stringify(answer.body.slice(0, 120))})`;
    if (!/^application\/json\b/i.test(answer.contentType)) return `content-type ${JSON.stringify(answer.contentType)}, expected application/json`;
    const { value, error } = parse(answer.body);
    return error ?? check(value);
  };
}

function exactly(expected: unknown): (value: unknown) => string | null {
  return (value) => (sameJson(value, expected) ? null : `body ${JSON.stringify(value)?.slice(0, 120)}, expected ${JSON.stringify(expected)}`);
}

function fanout(value: unknown): string | null {
  const v = value as { n?: unknown; ms?: unknown; results?: unknown; elapsedMs?: unknown };
  const expected = Array.from({ length: FANOUT_N }, (_, i) => ({ i, ms: FANOUT_MS }));
  if (v?.n !== FANOUT_N || v.ms !== FANOUT_MS) return `n and ms must echo ${FANOUT_N} and ${FANOUT_MS}`;
  if (!sameJson(v.results, expected)) return `results must be the ${FANOUT_N} upstream answers in order, got ${JSON.stringify(v.results)?.slice(0, 120)}`;
  if (typeof v.elapsedMs !== "number") return "elapsedMs must be a number";
  return null;
}

/*
 * The efficiency rates, chosen from the slowest target's ceiling on this 2-core machine (benchmarks/README.md):
 * hello and echo 3,000 req/s (the blocking baseline's lowest repeat on /hello was 5,270 and Express's 22k);
 * db and stream 2,000 (blocking db 4,637, asyncview/node stream 7,420); cpu and cpu-offload 300 (1,400-1,800 on
 * one core); I/O scenarios half the blocking baseline's T / L with its default 5 threads: sleep 25 (T / L = 50),
 * gather 40 (100), sequential 5 (10). An unmet rate is flagged like any other open-loop run.
 */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: "hello",
    efficiencyRate: 3000,
    description: "GET /hello: a small JSON answer, the cost of the stack itself",
    method: "GET",
    path: "/hello",
    ioLatencyMs: null,
    connections: [64],
    rates: [],
    verify: jsonAnswer(exactly({ msg: "Hello, async!" })),
  },
  {
    name: "sleep",
    efficiencyRate: 25,
    description: `GET /sleep?ms=${SLEEP_MS}: waits ${SLEEP_MS} ms without blocking (asyncio.sleep), the seed's question`,
    method: "GET",
    path: `/sleep?ms=${SLEEP_MS}`,
    ioLatencyMs: SLEEP_MS,
    connections: [64, 256, 1024],
    rates: [250, 2000],
    verify: jsonAnswer(exactly({ msg: "Hello, async!", slept: SLEEP_MS })),
  },
  {
    name: "gather",
    efficiencyRate: 40,
    description: `GET /gather?n=${FANOUT_N}&ms=${FANOUT_MS}: ${FANOUT_N} upstream calls at once (model: the slowest, ${FANOUT_MS} ms)`,
    method: "GET",
    path: `/gather?n=${FANOUT_N}&ms=${FANOUT_MS}`,
    ioLatencyMs: fanoutLatency("gather", FANOUT_N, FANOUT_MS),
    // Each request makes 10 upstream calls: at 128 connections, 1,280 at once on one upstream process.
    connections: [16, 64, 128],
    rates: [200, 500],
    upstream: true,
    fanout: { n: FANOUT_N, callMs: FANOUT_MS },
    verify: jsonAnswer(fanout),
  },
  {
    name: "sequential",
    efficiencyRate: 5,
    description: `GET /sequential?n=${FANOUT_N}&ms=${FANOUT_MS}: the same calls one by one (model: the sum, ${FANOUT_N * FANOUT_MS} ms)`,
    method: "GET",
    path: `/sequential?n=${FANOUT_N}&ms=${FANOUT_MS}`,
    ioLatencyMs: fanoutLatency("sequential", FANOUT_N, FANOUT_MS),
    minDurationS: 5,
    connections: [16, 64, 256],
    rates: [50],
    upstream: true,
    fanout: { n: FANOUT_N, callMs: FANOUT_MS },
    verify: jsonAnswer(fanout),
  },
  {
    name: "db",
    efficiencyRate: 2000,
    description: "GET /users/42: one SQLite row (syncToAsync on async adapters, inline on the blocking baseline)",
    method: "GET",
    path: "/users/42",
    ioLatencyMs: null,
    connections: [64],
    rates: [],
    verify: jsonAnswer(exactly({ id: 42, name: "User 42", email: "user42@example.com" })),
  },
  {
    name: "stream",
    efficiencyRate: 2000,
    description: `GET /stream?n=${STREAM_LINES}&ms=0: ${STREAM_LINES} NDJSON lines from an async generator`,
    method: "GET",
    path: `/stream?n=${STREAM_LINES}&ms=0`,
    ioLatencyMs: null,
    connections: [64],
    rates: [],
    verify: (answer) => {
      if (answer.status !== 200) return `status ${answer.status}, expected 200`;
      if (!/^application\/x-ndjson\b/i.test(answer.contentType)) return `content-type ${JSON.stringify(answer.contentType)}, expected application/x-ndjson`;
      const expected = Array.from({ length: STREAM_LINES }, (_, i) => JSON.stringify({ i })).join("\n") + "\n";
      const lines = answer.body.split("\n").filter(Boolean).map((line) => parse(line).value);
      return lines.length === STREAM_LINES && lines.every((line, i) => sameJson(line, { i }))
        ? null
        : `body ${JSON.stringify(answer.body.slice(0, 120))}, expected ${JSON.stringify(expected)}`;
    },
  },
  {
    name: "cpu",
    efficiencyRate: 300,
    description: `GET /cpu?n=${CPU_N}: primes below n on the event loop, where async does not help`,
    method: "GET",
    path: `/cpu?n=${CPU_N}`,
    ioLatencyMs: null,
    connections: [8],
    rates: [],
    verify: jsonAnswer(exactly({ n: CPU_N, primes: primesBelow(CPU_N) })),
  },
  {
    name: "cpu-offload",
    efficiencyRate: 300,
    description: `GET /cpu-offload?n=${CPU_N}: the same work through syncToAsync's thread pool`,
    method: "GET",
    path: `/cpu-offload?n=${CPU_N}`,
    ioLatencyMs: null,
    connections: [8],
    rates: [],
    verify: jsonAnswer(exactly({ n: CPU_N, primes: primesBelow(CPU_N) })),
  },
  {
    name: "echo",
    efficiencyRate: 3000,
    description: "POST /echo: parse a JSON body and send it back",
    method: "POST",
    path: "/echo",
    body: ECHO_BODY,
    ioLatencyMs: null,
    connections: [64],
    rates: [],
    verify: jsonAnswer(exactly(JSON.parse(ECHO_BODY))),
  },
];

/** Scenarios and targets measured by `pnpm bench` with no arguments: the seed's question. */
export const DEFAULT_SCENARIOS = ["hello", "sleep"];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
