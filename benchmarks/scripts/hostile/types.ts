// What every attack of the hostile-client battery takes and returns: the scale and timeouts it runs with, and its
// checks (the expectations, stated once here and asserted by both the script's table and the CI test).

import type { RuntimeName } from "@asyncview/cli/args";

export interface Settings {
  /** 1 = the full scale (2,000 slowloris connections, 10,000 idle sockets ...); the CI test uses a fraction. */
  scale: number;
  /** Seconds, passed to the server as --timeout-headers. */
  headersTimeout: number;
  /** Seconds, passed as --timeout-keep-alive. */
  keepAliveTimeout: number;
  /** Seconds, passed as --timeout-write. */
  writeTimeout: number;
  /** Seconds, passed as --timeout-graceful-shutdown. */
  shutdownTimeout: number;
}

/** The full scale with the documented defaults, except a 10 s write timeout so the run stays short. */
export const FULL_SCALE: Settings = { scale: 1, headersTimeout: 10, keepAliveTimeout: 5, writeTimeout: 10, shutdownTimeout: 10 };

/** One expectation of the issue, met or not, with what was seen. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * What the runtimes do themselves and asyncview cannot change (README "Timeouts and limits"): Bun closes a request
 * head not complete within its own fixed 10 s, and its timers tick every 4 s (an idle timeout in whole seconds fires
 * up to one tick late); Deno.serve 2.9 has no header, keep-alive or write timeout at all and hands out no socket.
 */
export const BUN_HEADER_TIMEOUT_S = 10;
export const BUN_TIMER_TICK_S = 4;

/** Worker threads the battery gives the blocking baseline (its default on 2 cores), so the checks can model it. */
export const BLOCKING_THREADS = 5;

export type Figure = number | string | boolean | null;

export interface AttackResult {
  attack: string;
  runtime: RuntimeName;
  checks: Check[];
  /** What was measured (counts, seconds, MiB), for the table and the JSON. */
  figures: Record<string, Figure>;
  /** The server's output when a check failed (its last 2,000 characters), for diagnosis. */
  serverTail?: string;
}

export type Attack = (runtime: RuntimeName, settings: Settings) => Promise<AttackResult>;

/** The server flags every attack passes: the timeouts under test, and no access log (the battery measures the server). */
export function timeoutFlags(settings: Settings): string[] {
  return [
    "--timeout-headers", String(settings.headersTimeout),
    "--timeout-keep-alive", String(settings.keepAliveTimeout),
    "--timeout-write", String(settings.writeTimeout),
    "--timeout-graceful-shutdown", String(settings.shutdownTimeout),
    "--no-access-log",
  ];
}

/** `n` at `scale`, never below `min`. */
export function scaled(n: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(n * scale));
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every `everyMs` until it holds or `timeoutMs` passed; resolves with whether it held. */
export async function waitFor(done: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

export const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);
