// What the benchmark scripts share: starting targets as pinned processes, running wrk on the other core,
// and the median. Every target listens on 127.0.0.1 and every wrk run is bounded by its duration.

import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pinned as runtimeBinary, runtimeCommand } from "@asyncview/cli/runtime-command";
import type { RuntimeName } from "@asyncview/cli/args";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const HAS_TASKSET = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/** The command run on one core (server on core 0, load generator on core 1) when taskset exists. */
export function onCore(core: number, command: string, args: string[]): { command: string; args: string[] } {
  return HAS_TASKSET ? { command: "taskset", args: ["-c", String(core), command, ...args] } : { command, args };
}

export function requireWrk(): void {
  if (spawnSync("wrk", ["--version"]).error) {
    console.error("wrk not found: apt-get install -y wrk");
    process.exit(1);
  }
}

export interface TargetSpec {
  name: string;
  command: string;
  args: string[];
}

/** asyncview on one adapter, started exactly as `pnpm serve --runtime <runtime>` does. */
export function asyncviewTarget(runtime: RuntimeName, extra: string[] = []): TargetSpec {
  const { command, args } = runtimeCommand(runtime);
  const label = runtime === "blocking" ? `asyncview/blocking (${extra[extra.indexOf("--threads") + 1] ?? "default"} threads)` : `asyncview/${runtime}`;
  return { name: label, command, args: [...args, "--port", "0", ...extra] };
}

/** The runtime's bare server answering the same views by hand. */
export function bareTarget(runtime: "node" | "bun" | "deno"): TargetSpec {
  const server = (name: string) => `${ROOT}benchmarks/servers/bare-${name}.ts`;
  switch (runtime) {
    case "node":
      return { name: "bare node:http", command: process.execPath, args: [server("node"), "--port", "0"] };
    case "bun":
      return { name: "bare Bun.serve", command: runtimeBinary("bun"), args: [server("bun"), "--port", "0"] };
    case "deno":
      return { name: "bare Deno.serve", command: runtimeBinary("deno"), args: ["run", "--allow-all", server("deno"), "--port", "0"] };
  }
}

export interface Running {
  spec: TargetSpec;
  url: string;
  stop(): void;
}

/** Starts a target pinned to core 0 and waits for its "listening on" line. */
export function start(spec: TargetSpec): Promise<Running> {
  const { command, args } = onCore(0, spec.command, spec.args);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${spec.name} did not start within 20 s`));
    }, 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ spec, url: match[1]!, stop: () => child.kill("SIGTERM") });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited with ${code} before listening`));
    });
  });
}

export interface WrkResult {
  rps: number;
  /** Non-2xx responses plus socket errors; any makes the run suspect. */
  errors: number;
}

/** One wrk run pinned to core 1: one thread, `connections` connections, `seconds` long. */
export function wrk(url: string, connections: number, seconds: number): WrkResult {
  const { command, args } = onCore(1, "wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", url]);
  const run = spawnSync(command, args, { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  if (!match) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(run.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(run.stdout);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps: Number(match[1]), errors: non2xx + socketErrors };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
