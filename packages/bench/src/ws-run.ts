// `pnpm bench:ws`: the WebSocket scenarios (ws-echo, ws-idle, ws-broadcast) run like the HTTP ones: one target alive at
// a time on the server core, checked first (an adapter answering 501 is reported unsupported), load clients on the load core.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PortPool } from "./ports.ts";
import { cpuNsOf, LOAD_CORE, onCore, pinSelf, SERVER_CORE, type Server, startServer, usageOf } from "./processes.ts";
import { provenance } from "./provenance.ts";
import { SERVER_ENV, type TargetDef } from "./targets.ts";
import type { WsClientConfig, WsClientOutput } from "./ws-client.ts";
import { checkWsTarget } from "./ws-check.ts";

const CLIENT = fileURLToPath(new URL("./ws-client.ts", import.meta.url));

export const WS_SCENARIOS = ["ws-idle", "ws-echo", "ws-broadcast"] as const;
export type WsScenario = (typeof WS_SCENARIOS)[number];
export const WS_SCENARIO_DESCRIPTIONS: Record<WsScenario, string> = {
  "ws-idle": "N idle sockets open on /ws/echo: the server's RSS with them, minus before, per socket (how many it holds at all)",
  "ws-echo": "N sockets on /ws/echo, each sending a 64-byte text as soon as the last came back: round trips/s and their latency",
  "ws-broadcast": "N sockets in one /ws/chat/:room; one member sends a text, timed until the last member has it, repeated",
};

/** Sockets one client process opens at most (each is a file descriptor on both sides). */
export const SOCKETS_PER_CLIENT = 5000;

export interface WsOptions {
  targets: TargetDef[];
  scenarios: WsScenario[];
  repeats: number;
  durationS: number;
  warmupS: number;
  echoSockets: number[];
  idleSockets: number[];
  broadcastSockets: number[];
  broadcasts: number;
  threads: number;
  /** Wait after the last idle socket opened before the server's RSS is read, ms. */
  settleMs: number;
}

export interface WsRun {
  target: string;
  scenario: WsScenario;
  sockets: number;
  repeat: number;
  opened: number;
  failed: number;
  failures: string[];
  closedEarly: number;
  clientCpuPct: number;
  /** ws-echo */
  roundTripsPerS?: number;
  serverCpuNsPerMessage?: number | null;
  wrongAnswers?: number;
  histogram?: WsClientOutput["histogram"];
  /** ws-idle: the server's RSS before the sockets opened and with them open, KiB. */
  rssBeforeKiB?: number;
  rssWithKiB?: number;
  /** ws-broadcast */
  broadcastMs?: number[];
  lost?: number;
}

export interface WsTargetInfo {
  id: string;
  label: string;
  runtime: "node" | "bun" | "deno";
  status: "ok" | "unsupported" | "failed";
  error?: string;
  idleRssMiB?: number;
}

export interface WsResult {
  schema: "asyncview-bench-ws/1";
  startedAt: string;
  finishedAt: string;
  provenance: ReturnType<typeof provenance>;
  options: Omit<WsOptions, "targets"> & { targets: string[] };
  targets: WsTargetInfo[];
  runs: WsRun[];
}

type Log = (line: string) => void;

/** A server command run with its open-file limit raised to the hard limit (10,000 sockets need 10,000 descriptors). */
function withFdLimit(spec: { command: string; args: string[] }): { command: string; args: string[] } {
  return { command: "bash", args: ["-c", 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', spec.command, ...spec.args] };
}

interface ClientProcess {
  opened: Promise<{ opened: number; failed: number }>;
  done: Promise<WsClientOutput>;
  release(): void;
  kill(): void;
}

/** Starts one load client on the load core, its fd limit raised; killed after `killAfterMs`. */
function startClient(config: WsClientConfig, killAfterMs: number): ClientProcess {
  const { command, args } = onCore(LOAD_CORE, "bash", ["-c", 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', process.execPath, CLIENT, JSON.stringify(config)]);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let onOpened: (v: { opened: number; failed: number }) => void = () => {};
  const opened = new Promise<{ opened: number; failed: number }>((resolve) => (onOpened = resolve));
  child.stderr!.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  child.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
    const match = /WSCLIENT_OPENED (\{.*\})\n/.exec(out);
    if (match) onOpened(JSON.parse(match[1]!) as { opened: number; failed: number });
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  const done = new Promise<WsClientOutput>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(killer);
      const match = /WSCLIENT_JSON (\{.*\})/.exec(out);
      if (match) resolve(JSON.parse(match[1]!) as WsClientOutput);
      else reject(new Error(`the load client exited (${signal ?? `code ${code}`}) without a result: ${err.trim().slice(-300)}`));
    });
  });
  // A client that dies before opening resolves nothing: `done` rejects, so callers race both.
  done.catch(() => onOpened({ opened: 0, failed: config.sockets }));
  return { opened, done, release: () => child.stdin!.end(), kill: () => child.kill("SIGKILL") };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const wsUrl = (server: Server, path: string) => `${server.url.replace(/^http/, "ws")}${path}`;

async function idleRun(server: Server, def: TargetDef, sockets: number, repeat: number, options: WsOptions): Promise<WsRun> {
  await sleep(500);
  const before = usageOf(server.pid)?.rssKiB ?? 0;
  const clients: ClientProcess[] = [];
  for (let left = sockets; left > 0; left -= SOCKETS_PER_CLIENT) {
    clients.push(startClient({ url: wsUrl(server, "/ws/echo"), mode: "idle", sockets: Math.min(left, SOCKETS_PER_CLIENT), openTimeoutMs: 10_000 }, 180_000));
  }
  await Promise.all(clients.map((c) => c.opened));
  await sleep(options.settleMs);
  const withSockets = usageOf(server.pid)?.rssKiB ?? 0;
  for (const c of clients) c.release();
  const outputs = await Promise.all(clients.map((c) => c.done));
  // Let the server drop the closed sockets before the next run reads its baseline.
  await sleep(1000);
  return {
    target: def.id,
    scenario: "ws-idle",
    sockets,
    repeat,
    opened: outputs.reduce((n, o) => n + o.opened, 0),
    failed: outputs.reduce((n, o) => n + o.failed, 0),
    failures: outputs.flatMap((o) => o.failures).slice(0, 5),
    closedEarly: outputs.reduce((n, o) => n + o.closedEarly, 0),
    clientCpuPct: Math.max(...outputs.map((o) => o.cpuPct)),
    rssBeforeKiB: before,
    rssWithKiB: withSockets,
  };
}

/** The fields of a run that one load-client process measured. */
function runBase(def: TargetDef, scenario: WsScenario, sockets: number, repeat: number, output: WsClientOutput): WsRun {
  const { opened, failed, failures, closedEarly } = output;
  return { target: def.id, scenario, sockets, repeat, opened, failed, failures, closedEarly, clientCpuPct: output.cpuPct };
}

async function echoRun(server: Server, def: TargetDef, sockets: number, repeat: number, options: WsOptions): Promise<WsRun> {
  const client = startClient(
    { url: wsUrl(server, "/ws/echo"), mode: "echo", sockets, warmupS: options.warmupS, durationS: options.durationS, messageBytes: 64 },
    (options.warmupS + options.durationS) * 1000 + 60_000,
  );
  await client.opened;
  const cpuBefore = cpuNsOf(server.pid);
  const output = await client.done;
  const cpuAfter = cpuNsOf(server.pid);
  await sleep(500);
  const all = output.allRoundTrips ?? 0;
  return {
    ...runBase(def, "ws-echo", sockets, repeat, output),
    roundTripsPerS: output.durationS ? (output.roundTrips ?? 0) / output.durationS : 0,
    serverCpuNsPerMessage: cpuBefore !== null && cpuAfter !== null && all > 0 ? (cpuAfter - cpuBefore) / all : null,
    wrongAnswers: output.wrongAnswers ?? 0,
    ...(output.histogram ? { histogram: output.histogram } : {}),
  };
}

async function broadcastRun(server: Server, def: TargetDef, sockets: number, repeat: number, options: WsOptions): Promise<WsRun> {
  const room = `bench-${repeat}-${Math.random().toString(36).slice(2, 8)}`;
  const client = startClient({ url: wsUrl(server, `/ws/chat/${room}`), mode: "broadcast", sockets, broadcasts: options.broadcasts, broadcastTimeoutMs: 10_000 }, 300_000);
  const output = await client.done;
  // Every member leaving is announced to those still there: let the room empty before the next run.
  await sleep(2000);
  return {
    ...runBase(def, "ws-broadcast", sockets, repeat, output),
    broadcastMs: output.broadcastMs ?? [],
    lost: output.lost ?? 0,
  };
}

/** Runs every scenario on every target, one target alive at a time, `repeats` times with the order rotated. */
export async function runWsBench(options: WsOptions, command: string, log: Log, ports = new PortPool(null)): Promise<WsResult> {
  const startedAt = new Date().toISOString();
  pinSelf(LOAD_CORE);
  const infos: WsTargetInfo[] = options.targets.map((t) => ({ id: t.id, label: t.label, runtime: t.runtime, status: "ok" }));
  const infoOf = (id: string) => infos.find((i) => i.id === id)!;
  const runs: WsRun[] = [];
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const order = options.targets.map((_, i) => options.targets[(i + repeat) % options.targets.length]!);
    for (const def of order) {
      const info = infoOf(def.id);
      if (info.status !== "ok") continue;
      let server: Server;
      try {
        server = await startServer(def.id, withFdLimit(def.command({ threads: options.threads, port: await ports.take() })), { core: SERVER_CORE, env: SERVER_ENV });
      } catch (error) {
        info.status = "failed";
        info.error = (error as Error).message;
        log(`${def.id} left out: ${info.error}`);
        continue;
      }
      try {
        const check = await checkWsTarget(server.url);
        if (check) {
          info.status = check.unsupported ? "unsupported" : "failed";
          info.error = check.reason;
          log(`${def.id} ${info.status}: ${check.reason}`);
          continue;
        }
        await sleep(300);
        if (repeat === 0) info.idleRssMiB = (usageOf(server.pid)?.rssKiB ?? 0) / 1024;
        for (const scenario of options.scenarios) {
          const counts = scenario === "ws-idle" ? options.idleSockets : scenario === "ws-echo" ? options.echoSockets : options.broadcastSockets;
          for (const sockets of counts) {
            if (server.exited) throw new Error(`exited during the run (stderr: ${server.stderr().trim().slice(-300)})`);
            log(`${scenario} ${sockets} sockets: ${def.id} (repeat ${repeat + 1}/${options.repeats})`);
            try {
              const run = scenario === "ws-idle" ? idleRun : scenario === "ws-echo" ? echoRun : broadcastRun;
              runs.push(await run(server, def, sockets, repeat + 1, options));
            } catch (error) {
              log(`${scenario} ${sockets} sockets on ${def.id} failed: ${(error as Error).message}`);
            }
          }
        }
      } catch (error) {
        info.status = "failed";
        info.error = (error as Error).message;
        log(`${def.id} failed: ${info.error}`);
      } finally {
        await server.stop();
      }
    }
  }
  const { targets, ...rest } = options;
  return {
    schema: "asyncview-bench-ws/1",
    startedAt,
    finishedAt: new Date().toISOString(),
    provenance: provenance(command, "own"),
    options: { ...rest, targets: targets.map((t) => t.id) },
    targets: infos,
    runs,
  };
}
