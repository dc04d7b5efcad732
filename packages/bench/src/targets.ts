// The targets: asyncview on its four adapters, each runtime's bare server, and the frameworks people use today,
// each with the command that starts it as its own process and the scenarios it does not implement.

import { createRequire } from "node:module";
import { pinned, runtimeCommand } from "@asyncview/cli/runtime-command";
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
  /** The command line, given the options that shape it. */
  command(options: { threads: number }): { command: string; args: string[] };
}

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

function script(runtime: "node" | "bun" | "deno", file: string): { command: string; args: string[] } {
  const path = require.resolve(`@asyncview/benchmarks/servers/${file}`);
  switch (runtime) {
    case "node":
      return { command: process.execPath, args: [path, "--port", "0"] };
    case "bun":
      return { command: runtimeBinary("bun"), args: [path, "--port", "0"] };
    case "deno":
      return { command: runtimeBinary("deno"), args: ["run", "--allow-all", path, "--port", "0"] };
  }
}

function asyncview(adapter: "node" | "bun" | "deno"): TargetDef {
  return {
    id: `asyncview-${adapter}`,
    label: `asyncview/${adapter}`,
    runtime: adapter,
    kind: "asyncview",
    adapter,
    lacks: [],
    command: () => {
      const { command, args } = runtimeCommand(adapter);
      return { command: adapter === "node" ? command : runtimeBinary(adapter), args: [...args, "--port", "0", "--host", "127.0.0.1", "--no-access-log", DEMO_APP] };
    },
  };
}

function other(id: string, label: string, runtime: "node" | "bun" | "deno", kind: TargetKind, file: string): TargetDef {
  return { id, label, runtime, kind, lacks: NO_POOL, command: () => script(runtime, file) };
}

export const TARGETS: readonly TargetDef[] = [
  asyncview("node"),
  asyncview("bun"),
  asyncview("deno"),
  {
    id: "asyncview-blocking",
    label: "asyncview/blocking",
    runtime: "node",
    kind: "asyncview",
    adapter: "blocking",
    lacks: [],
    command: ({ threads }) => {
      const { command, args } = runtimeCommand("blocking");
      return { command, args: [...args, "--port", "0", "--host", "127.0.0.1", "--no-access-log", "--threads", String(threads), DEMO_APP] };
    },
  },
  other("bare-node", "bare node:http", "node", "bare", "bare-node.ts"),
  other("bare-bun", "bare Bun.serve", "bun", "bare", "bare-bun.ts"),
  other("bare-deno", "bare Deno.serve", "deno", "bare", "bare-deno.ts"),
  other("hono-node", "Hono on Node", "node", "framework", "hono-node.ts"),
  other("hono-bun", "Hono on Bun", "bun", "framework", "hono-bun.ts"),
  other("hono-deno", "Hono on Deno", "deno", "framework", "hono-deno.ts"),
  other("express", "Express 5", "node", "framework", "express.ts"),
  other("fastify", "Fastify", "node", "framework", "fastify.ts"),
];

/** `pnpm bench` with no arguments: asyncview on every adapter beside every bare runtime. */
export const DEFAULT_TARGETS = ["asyncview-node", "asyncview-bun", "asyncview-deno", "asyncview-blocking", "bare-node", "bare-bun", "bare-deno"];

export function targetById(id: string): TargetDef | undefined {
  return TARGETS.find((t) => t.id === id);
}

/** The bare server of a target's runtime, the yardstick for its ratio. */
export function bareOf(target: { runtime: TargetDef["runtime"] }): string {
  return `bare-${target.runtime}`;
}
