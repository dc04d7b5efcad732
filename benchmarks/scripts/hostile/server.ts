// The server under attack: the hostile app on one adapter as a real process (optionally under `ulimit -n`), started as
// `pnpm serve --runtime <name>` starts it, with its RSS and fd count read from /proc and sampled while an attack runs.

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { RuntimeName } from "@asyncview/cli/args";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import { startServerProcess, type ServerProcess } from "../../../packages/conformance/src/process.ts";
import { BLOCKING_THREADS, timeoutFlags, type AttackResult, type Check, type Figure, type Settings } from "./types.ts";

/** The demo app plus one route the battery needs (app.ts). */
export const HOSTILE_APP = fileURLToPath(new URL("./app.ts", import.meta.url));
/** The demo's upstream service (/gather calls it). */
export const UPSTREAM = createRequire(import.meta.url).resolve("@asyncview/demo/upstream");

export interface Target {
  runtime: RuntimeName;
  server: ServerProcess;
  port: number;
  pid: number;
}

export interface StartTargetOptions {
  /** Extra serve flags (--limit-concurrency ...), after the settings' timeouts. */
  flags?: string[];
  /** Start the server under `ulimit -n fdLimit`. */
  fdLimit?: number;
  env?: Record<string, string>;
}

export async function startTarget(runtime: RuntimeName, settings: Settings, options: StartTargetOptions = {}): Promise<Target> {
  const { command, args } = runtimeCommand(runtime);
  // The blocking baseline gets a fixed thread count, so the checks that depend on it (overload, shutdown) can model it.
  const threads = runtime === "blocking" ? ["--threads", String(BLOCKING_THREADS)] : [];
  const serveArgs = [...args, "--port", "0", ...timeoutFlags(settings), ...threads, ...(options.flags ?? []), HOSTILE_APP];
  // `ulimit -n`: the given limit, else the hard one (a CI box's soft 1,024 would cut a flood short). `exec` keeps the
  // pid: the process signalled and measured is the server itself, not bash.
  const launch = withFdLimit(options.fdLimit ?? "hard", command, serveArgs);
  const server = await startServerProcess({ ...launch, ...(options.env ? { env: options.env } : {}) });
  return { runtime, server, port: Number(new URL(server.url).port), pid: server.child.pid! };
}

/** `command args` run under `ulimit -n limit` ("hard": raised to the hard limit), through bash's exec (same pid). */
export function withFdLimit(limit: number | "hard", command: string, args: string[]): { command: string; args: string[] } {
  const value = limit === "hard" ? '"$(ulimit -Hn)"' : String(limit);
  return { command: "bash", args: ["-c", `ulimit -n ${value} && exec "$0" "$@"`, command, ...args] };
}

/** The demo's upstream service on a free port. */
export function startUpstream(): Promise<ServerProcess> {
  return startServerProcess({ command: process.execPath, args: [UPSTREAM, "--port", "0"] });
}

export function alive(target: Target): boolean {
  return target.server.child.exitCode === null && target.server.child.signalCode === null;
}

/** The process's resident memory in MiB, or null once it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** The process's open file descriptors, or null once it is gone. */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Samples RSS and fds every `everyMs` until stopped; keeps the peaks. */
export class Sampler {
  peakRss = 0;
  peakFds = 0;
  private readonly pid: number;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number, everyMs = 100) {
    this.pid = pid;
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): { rss: number | null; fds: number | null } {
    const rss = rssMiB(this.pid);
    const fds = fdCount(this.pid);
    if (rss !== null) this.peakRss = Math.max(this.peakRss, rss);
    if (fds !== null) this.peakFds = Math.max(this.peakFds, fds);
    return { rss, fds };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The last `chars` characters the server printed. */
export function tail(target: Target, chars = 2_000): string {
  return target.server.output().slice(-chars);
}

/** An attack's result; the server's output tail is kept when a check failed. */
export function report(attack: string, target: Target, checks: Check[], figures: Record<string, Figure>): AttackResult {
  return { attack, runtime: target.runtime, checks, figures, ...(checks.every((c) => c.ok) ? {} : { serverTail: tail(target) }) };
}
