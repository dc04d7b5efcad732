#!/usr/bin/env node
// `pnpm bench:inflight`: memory with many requests in flight. Each target, alone on core 0, gets N connections at once,
// each one GET /sleep?ms=M; its peak RSS while they wait, beside its idle RSS, and how many got their 200.

import { connect } from "node:net";
import { parseArgs } from "node:util";
import { LOAD_CORE, pinSelf, sampleUsage, SERVER_CORE, startServer, stopAll, usageOf } from "./processes.ts";
import { SERVER_ENV, TARGETS, targetById, warmCompileCache } from "./targets.ts";

const DEFAULT_TARGETS = "asyncview-node,bare-node,hono-node,asyncview-bun,bare-bun,hono-bun,asyncview-deno,bare-deno,hono-deno";
/** The descriptor limit of one process here, less what the harness itself holds. */
const MAX_REQUESTS = 19_000;
/** The longest /sleep every server accepts (the demo's limit, benchmarks/servers/shared.ts). */
const MAX_MS = 60_000;

const HELP = `Usage: pnpm bench:inflight [--targets ids] [--requests 10000] [--ms 8000]

Memory with many requests in flight (the cost of a waiting request): each target, started alone on
core ${SERVER_CORE} with its benchmark command, gets --requests connections at once from core ${LOAD_CORE}, each sending one
GET /sleep?ms=<ms> (Connection: close). Prints its idle RSS (1 s after its first answer), its peak RSS
while the requests wait (sampled every 100 ms), its CPU time, and the status of every answer. Every
target listens on 127.0.0.1; each run ends when the last answer arrives (or --ms + 30 s).

Options:
  --targets <list>   comma-separated target ids (default: ${DEFAULT_TARGETS})
${TARGETS.filter((t) => t.kind !== "asyncview" || t.adapter !== "blocking").map((t) => `      ${t.id.padEnd(20)} ${t.label}`).join("\n")}
  --requests <n>     requests in flight at once, at most ${MAX_REQUESTS} (default 10000)
  --ms <n>           how long each waits, ms, at most ${MAX_MS} (default 8000)
  -h, --help         this text`;

/** One request on its own connection: its status code, or what went wrong. */
function oneRequest(port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    socket.on("connect", () => socket.write(`GET /sleep?ms=${ms} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      if (head.length < 64) head += chunk.toString("latin1");
    });
    const status = () => /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    // A reset after the status line still counts as that answer.
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(status() ?? `error ${error.code ?? error.message}`));
    socket.on("close", () => resolve(status() ?? "no answer"));
    socket.setTimeout(ms + 30_000, () => socket.destroy());
  });
}

export interface InflightResult {
  target: string;
  idleRssMiB: number;
  peakRssMiB: number;
  cpuS: number;
  statuses: Record<string, number>;
}

/** Runs one target: started, idle RSS read, `requests` requests at once, peak RSS while they wait, stopped. */
export async function measureInflight(id: string, requests: number, ms: number): Promise<InflightResult> {
  const def = targetById(id);
  if (!def) throw new Error(`unknown target ${id}`);
  const server = await startServer(id, def.command({ port: 0, threads: 5 }), { core: SERVER_CORE, env: SERVER_ENV });
  try {
    const port = Number(new URL(server.url).port);
    const first = await oneRequest(port, 1);
    if (first !== "200") throw new Error(`/sleep?ms=1 answered ${first}, not 200`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = usageOf(server.pid)?.rssKiB ?? 0;
    const sampler = sampleUsage(server.pid, 100);
    let usage: { rssPeakKiB: number | null; cpuNs: number | null };
    let answers: string[];
    try {
      answers = await Promise.all(Array.from({ length: requests }, () => oneRequest(port, ms)));
    } finally {
      usage = sampler.stop();
    }
    const { rssPeakKiB, cpuNs } = usage;
    const statuses: Record<string, number> = {};
    for (const answer of answers) statuses[answer] = (statuses[answer] ?? 0) + 1;
    return { target: id, idleRssMiB: idle / 1024, peakRssMiB: (rssPeakKiB ?? 0) / 1024, cpuS: (cpuNs ?? 0) / 1e9, statuses };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      targets: { type: "string", default: DEFAULT_TARGETS },
      requests: { type: "string", default: "10000" },
      ms: { type: "string", default: "8000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const ids = values.targets.split(",").map((s) => s.trim());
  const requests = Number(values.requests);
  const ms = Number(values.ms);
  const unknown = ids.filter((id) => targetById(id) === undefined || targetById(id)!.adapter === "blocking");
  if (unknown.length > 0 || !Number.isInteger(requests) || requests < 1 || requests > MAX_REQUESTS || !Number.isInteger(ms) || ms < 1 || ms > MAX_MS) {
    console.error(unknown.length > 0 ? `unknown target: ${unknown.join(", ")} (see --help)` : `--requests must be 1..${MAX_REQUESTS} and --ms 1..${MAX_MS}`);
    return 2;
  }
  pinSelf(LOAD_CORE);
  console.log(`${requests.toLocaleString("en-US")} requests in flight on /sleep?ms=${ms}, one target at a time on core ${SERVER_CORE}`);
  await warmCompileCache(
    ids.map((id) => targetById(id)!),
    (line) => console.log(line),
    async (def) => void (await (await startServer(def.id, def.command({ port: 0, threads: 5 }), { core: SERVER_CORE, env: SERVER_ENV })).stop()),
  );
  console.log("target            idle RSS  peak RSS   CPU s  answers");
  for (const id of ids) {
    try {
      const r = await measureInflight(id, requests, ms);
      const mib = (n: number) => `${Math.round(n)} MiB`.padStart(8);
      console.log(`${id.padEnd(16)}  ${mib(r.idleRssMiB)}  ${mib(r.peakRssMiB)}  ${r.cpuS.toFixed(2).padStart(6)}  ${JSON.stringify(r.statuses)}`);
    } catch (error) {
      console.log(`${id.padEnd(16)}  failed: ${(error as Error).message}`);
    }
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      const stopped = stopAll();
      console.error(`\npnpm bench:inflight: interrupted by ${signal}; stopped ${stopped} process(es)`);
      process.exit(130);
    });
  }
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`pnpm bench:inflight: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
