// The targets: asyncview on its four adapters, each runtime's bare server, and the frameworks people use today,
// each with the command that starts it as its own process and the scenarios it does not implement.

import { createRequire } from "node:module";
import { RUNTIME_FLAGS_ENV } from "@asyncview/core/adapter";
import { compileCacheEnv, pinned, runtimeCommand, YOUNG_GENERATION } from "@asyncview/cli/runtime-command";
import type { TargetKind } from "./schema.ts";

export interface TargetDef {
  id: string;
  label: string;
  runtime: "node" | "bun" | "deno";
  kind: TargetKind;
  /** The adapter, for asyncview targets (the blocking baseline runs on Node). */
  adapter?: "node" | "bun" | "deno" | "blocking";
  /** Scenarios it does not implement. */
  lacks: string[];
  /** The blocking baseline in a threads sweep: its own thread count, whatever --threads says first. */
  threads?: number;
  /**
   * The command line, given the options that shape it (port 0: the OS picks; `workers`: the event-loop processes of
   * asyncview's node, bun and deno adapters, --cores; other targets ignore it), and the environment it adds.
   */
  command(options: CommandOptions): { command: string; args: string[]; env?: Record<string, string> };
}

export interface CommandOptions {
  threads: number;
  port: number;
  /** Processes serving the port (asyncview's --workers); 1 when absent. */
  workers?: number;
}

/** Bun's cap on simultaneous fetches under SERVER_ENV. */
export const FETCH_CAP = 4096;
/**
 * Every server runs with this environment. Bun's fetch holds at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once
 * (256 by default), Node's (undici) and Deno's have no such cap, so Bun's cap is raised well above what any scenario
 * needs (gather at 128 connections: 1,280 calls at once) and the client bound of the model stays far off. Every Node
 * server, asyncview's and its peers alike, gets Node's compile cache as `asyncview serve` sets it (compileCacheEnv):
 * without it a Node process that loads TypeScript keeps Node's type stripper in memory, more the more it strips.
 */
export const SERVER_ENV: Record<string, string> = { BUN_CONFIG_MAX_HTTP_REQUESTS: String(FETCH_CAP), ...compileCacheEnv("node") };

/**
 * Starts and stops (`startAndStop`) each Node target once before anything is measured, so that every measured start
 * finds Node's compile cache warm: a cold start strips the TypeScript through Node's WebAssembly stripper, which then
 * stays in memory, and the first repeat's RSS would show it. A target that fails here fails again, with its reason,
 * where it is measured.
 */
export async function warmCompileCache(defs: readonly TargetDef[], log: (line: string) => void, startAndStop: (def: TargetDef) => Promise<void>): Promise<void> {
  const node = defs.filter((def) => def.runtime === "node");
  const dir = SERVER_ENV.NODE_COMPILE_CACHE ?? process.env.NODE_COMPILE_CACHE;
  if (node.length === 0 || dir === undefined || process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) return;
  log(`warming Node's compile cache (${dir}): starting ${node.map((def) => def.id).join(", ")} once each`);
  for (const def of node) await startAndStop(def).catch(() => {});
}

/** The cap on simultaneous fetches of a runtime's HTTP client under SERVER_ENV, or null when it has none. */
export function clientCapOf(runtime: "node" | "bun" | "deno"): number | null {
  return runtime === "bun" ? FETCH_CAP : null;
}

/**
 * Deno flags, the same for every Deno target (asyncview's entry needs --unstable-no-legacy-abort, and --unstable-net for
 * --workers; the peers get them too), with V8's young-generation cap that `asyncview serve` sets (runtime-command.ts).
 */
export const DENO_FLAGS = ["run", "--allow-all", "--unstable-no-legacy-abort", "--unstable-net", `--v8-flags=${YOUNG_GENERATION}`];

/**
 * The runtime binary: $ASYNCVIEW_BENCH_BUN or $ASYNCVIEW_BENCH_DENO when set (to measure another build),
 * else the pinned one from node_modules (the `bun` / `deno` npm packages).
 */
export function runtimeBinary(runtime: "bun" | "deno"): string {
  return process.env[`ASYNCVIEW_BENCH_${runtime.toUpperCase()}`] || pinned(runtime);
}

const require = createRequire(import.meta.url);
/** The demo app every asyncview target serves, found through its package (@asyncview/demo). */
export const DEMO_APP = require.resolve("@asyncview/demo");
/** The bare servers and frameworks have no thread pool: the db and cpu-offload views need syncToAsync. */
const NO_POOL = ["db", "cpu-offload"];

/** The command that runs a peer server script (benchmarks/servers/`file`) on `runtime`, with the same flags as asyncview. */
export function script(runtime: "node" | "bun" | "deno", file: string, port: number): { command: string; args: string[] } {
  const path = require.resolve(`@asyncview/benchmarks/servers/${file}`);
  switch (runtime) {
    case "node":
      return { command: process.execPath, args: [YOUNG_GENERATION, path, "--port", String(port)] };
    case "bun":
      return { command: runtimeBinary("bun"), args: [path, "--port", String(port)] };
    case "deno":
      return { command: runtimeBinary("deno"), args: [...DENO_FLAGS, path, "--port", String(port)] };
  }
}

function asyncview(adapter: "node" | "bun" | "deno", app: string, suffix: string): TargetDef {
  return {
    id: `asyncview-${adapter}`,
    label: `asyncview/${adapter}${suffix}`,
    runtime: adapter,
    kind: "asyncview",
    adapter,
    lacks: [],
    command: ({ port, workers = 1 }) => {
      const { command, args, flags } = runtimeCommand(adapter);
      const several = workers > 1 ? ["--workers", String(workers)] : [];
      return {
        command: adapter === "node" ? command : runtimeBinary(adapter),
        args: [...args, "--port", String(port), "--host", "127.0.0.1", "--no-access-log", ...several, app],
        // As `asyncview serve` does: the supervisor starts its workers with the entry's own runtime flags (Deno's
        // --unstable-no-legacy-abort among them: the same flags for every worker as for one process).
        ...(workers > 1 ? { env: { [RUNTIME_FLAGS_ENV]: JSON.stringify(flags) } } : {}),
      };
    },
  };
}

function blocking(app: string, suffix: string): TargetDef {
  return {
    id: "asyncview-blocking",
    label: `asyncview/blocking${suffix}`,
    runtime: "node",
    kind: "asyncview",
    adapter: "blocking",
    lacks: [],
    command: ({ threads, port }) => {
      const { command, args } = runtimeCommand("blocking");
      return { command, args: [...args, "--port", String(port), "--host", "127.0.0.1", "--no-access-log", "--threads", String(threads), app] };
    },
  };
}

/** asyncview on its four adapters serving `app` (a module path): the demo, or the user's app (`--app`). */
export function asyncviewTargets(app: string, suffix = ""): TargetDef[] {
  return [asyncview("node", app, suffix), asyncview("bun", app, suffix), asyncview("deno", app, suffix), blocking(app, suffix)];
}

function other(id: string, label: string, runtime: "node" | "bun" | "deno", kind: TargetKind, file: string): TargetDef {
  return { id, label, runtime, kind, lacks: NO_POOL, command: ({ port }) => script(runtime, file, port) };
}

export const TARGETS: readonly TargetDef[] = [
  ...asyncviewTargets(DEMO_APP),
  other("bare-node", "bare node:http", "node", "bare", "bare-node.ts"),
  other("bare-bun", "bare Bun.serve", "bun", "bare", "bare-bun.ts"),
  other("bare-deno", "bare Deno.serve", "deno", "bare", "bare-deno.ts"),
  other("hono-node", "Hono on Node", "node", "framework", "hono-node.ts"),
  other("hono-bun", "Hono on Bun", "bun", "framework", "hono-bun.ts"),
  other("hono-deno", "Hono on Deno", "deno", "framework", "hono-deno.ts"),
  other("express", "Express 5", "node", "framework", "express.ts"),
  other("fastify", "Fastify", "node", "framework", "fastify.ts"),
];

/** The threads sweep: the blocking target once per thread count (ids asyncview-blocking-t<T>), the others as they are. */
export function sweepThreads(defs: TargetDef[], threads: readonly number[]): TargetDef[] {
  if (threads.length < 2) return defs;
  return defs.flatMap((def) =>
    def.adapter !== "blocking"
      ? [def]
      : threads.map((t) => ({
          ...def,
          id: `${def.id}-t${t}`,
          // The count in the label too, so the report's charts tell the pools apart.
          label: `${def.label} (${t} threads)`,
          threads: t,
          command: (options: CommandOptions) => def.command({ ...options, threads: t }),
        })),
  );
}

/** `pnpm bench` with no arguments: asyncview on every adapter beside every bare runtime. */
export const DEFAULT_TARGETS = ["asyncview-node", "asyncview-bun", "asyncview-deno", "asyncview-blocking", "bare-node", "bare-bun", "bare-deno"];

export function targetById(id: string): TargetDef | undefined {
  return TARGETS.find((t) => t.id === id);
}

/** The bare server of a target's runtime, the yardstick for its ratio. */
export function bareOf(target: { runtime: TargetDef["runtime"] }): string {
  return `bare-${target.runtime}`;
}
