// Server processes: start one pinned to its cores, wait for its "listening on" line, read its memory and CPU
// time from /proc while it runs (every process of it: a supervisor and its workers), and stop it (SIGTERM, then SIGKILL).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

export const HAS_TASKSET = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
/** Cores for the servers and for the load generator (with the upstream service beside it), by default (--cores 1). */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** Where a run puts its processes: the servers' cores, and the one core of the load tools, the harness and the upstream. */
export interface Pinning {
  server: number[];
  load: number;
  /** The load core is one of the servers' (--cores takes every core of the machine): the client competes with the server. */
  shared: boolean;
}

/**
 * `--cores n`: servers on cores 0..n-1, the load on core n, or on the last core when the machine has no core to
 * spare (then shared with the server). n = 1: servers on core 0, the load on core 1.
 */
export function pinningFor(cores: number, machineCores = availableParallelism()): Pinning {
  const server = Array.from({ length: cores }, (_, i) => i);
  const load = Math.max(0, Math.min(cores, machineCores - 1));
  return { server, load, shared: server.includes(load) };
}

/** A taskset cpu list: "0", "0,1". */
export function coreList(cores: number | readonly number[]): string {
  return typeof cores === "number" ? String(cores) : cores.join(",");
}

/** `command args` run on `cores` when taskset exists. */
export function onCore(cores: number | readonly number[], command: string, args: string[]): { command: string; args: string[] } {
  return HAS_TASKSET ? { command: "taskset", args: ["-c", coreList(cores), command, ...args] } : { command, args };
}

/** Every process this harness started and has not seen exit, so an interrupted run can stop them all. */
const children = new Map<ChildProcess, "server" | "group">();

function track(child: ChildProcess, kind: "server" | "group"): void {
  children.set(child, kind);
  child.once("exit", () => children.delete(child));
}

/** Stops every process still running: servers get SIGTERM, load tools (own process groups) SIGKILL. */
export function stopAll(): number {
  for (const [child, kind] of children) {
    try {
      if (kind === "group" && child.pid) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  return children.size;
}

export interface Usage {
  rssKiB: number;
  /** CPU time so far, ns: the sum over the process's live threads of /proc/<pid>/task/<tid>/schedstat's first field. */
  cpuNs: number;
  /** The same, thread by thread (by thread id). */
  threads: Map<number, number>;
}

/** The usage of a server: every process of its tree (a --workers supervisor and its workers), each pid's and the sums. */
export interface TreeUsage extends Omit<Usage, "threads"> {
  byPid: Map<number, Usage>;
}

/** Pins this process (the orchestrator: the harness itself) to `core`, off the server's core. False without taskset. */
export function pinSelf(core: number): boolean {
  return HAS_TASKSET && spawnSync("taskset", ["-pc", String(core), String(process.pid)]).status === 0;
}

/**
 * The CPU time each thread of a process has used, ns, by thread id, from the scheduler's own accounting (exact,
 * unlike /proc/<pid>/stat's 10 ms ticks): /proc/<pid>/task/<tid>/schedstat starts with the thread's time on a CPU in
 * ns. Threads that already exited are not listed. Null when /proc cannot tell.
 */
export function threadCpuNs(pid: number): Map<number, number> | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const byTid = new Map<number, number>();
  for (const tid of tasks) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      if (Number.isFinite(ns)) byTid.set(Number(tid), ns);
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return byTid.size > 0 ? byTid : null;
}

/**
 * The CPU time a process's live threads have used, ns (the sum of threadCpuNs). A thread that exits takes its time out
 * of the sum, so a difference of two readings is right only for a process whose threads all outlive it (the
 * upstream service, one WebSocket run); sampleUsage counts thread by thread instead. Null when /proc cannot tell.
 */
export function cpuNsOf(pid: number): number | null {
  const threads = threadCpuNs(pid);
  if (threads === null) return null;
  let total = 0;
  for (const ns of threads.values()) total += ns;
  return total;
}

/** The process's resident set and CPU time so far (its live threads'), or null when /proc cannot tell (not Linux, exited). */
export function processUsage(pid: number): Usage | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const threads = threadCpuNs(pid);
    if (!Number.isFinite(rss) || threads === null) return null;
    let cpuNs = 0;
    for (const ns of threads.values()) cpuNs += ns;
    return { rssKiB: rss, cpuNs, threads };
  } catch {
    return null;
  }
}

export interface Server {
  url: string;
  pid: number;
  /** Output the process wrote to stderr (last 4 KiB), to explain failures. */
  stderr(): string;
  exited: boolean;
  stop(): Promise<void>;
}

export class StartError extends Error {
  override name = "StartError";
}

/** Starts `command` on `core` (one, or a list), resolving once it prints `listening on http://...`; rejects with the reason otherwise. */
export function startServer(
  name: string,
  spec: { command: string; args: string[]; env?: Record<string, string> },
  options: { core: number | readonly number[]; env?: Record<string, string>; timeoutMs?: number },
): Promise<Server> {
  const { command, args } = onCore(options.core, spec.command, spec.args);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env, ...spec.env } });
    track(child, "server");
  } catch (error) {
    return Promise.reject(new StartError(`${name}: cannot run ${spec.command}: ${(error as Error).message}`));
  }
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: Server = {
    url: "",
    pid: child.pid ?? -1,
    stderr: () => err,
    exited: false,
    async stop() {
      if (server.exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  void exited.then(() => (server.exited = true));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      const detail = err.trim().split("\n").slice(-3).join(" | ");
      reject(new StartError(`${name}: ${why}${detail ? ` (stderr: ${detail})` : ""}`));
    };
    const timer = setTimeout(() => fail(`did not print "listening on" within ${(options.timeoutMs ?? 30_000) / 1000} s`), options.timeoutMs ?? 30_000);
    const onError = (error: Error) => fail(`cannot run ${spec.command}: ${error.message}`);
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? `code ${code}`}) before listening`);
    child.once("error", onError);
    child.once("exit", onExit);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.off("exit", onExit);
        child.off("error", onError);
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume();
        server.url = match[1]!.replace(/\/$/, "");
        resolve(server);
      }
    });
  });
}

/** `pid` and its descendants, from /proc/<pid>/task/<tid>/children (a process that exits meanwhile is left out). */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        for (const child of readFileSync(`/proc/${tree[i]}/task/${tid}/children`, "utf8").split(" ")) if (child.trim()) tree.push(Number(child));
      } catch {
        // the thread exited, or the kernel has no children file (CONFIG_PROC_CHILDREN): the process alone
      }
    }
  }
  return tree;
}

/**
 * A server's resident set and CPU time so far: the sums over every process of its tree (a --workers supervisor and
 * its workers; a single process is its own tree), or null when /proc cannot tell about the root (not Linux, exited).
 */
export function usageOf(pid: number): TreeUsage | null {
  const byPid = new Map<number, Usage>();
  for (const p of processTree(pid)) {
    const usage = processUsage(p);
    if (usage) byPid.set(p, usage);
  }
  if (!byPid.has(pid)) return null;
  let rssKiB = 0;
  let cpuNs = 0;
  for (const usage of byPid.values()) {
    rssKiB += usage.rssKiB;
    cpuNs += usage.cpuNs;
  }
  return { rssKiB, cpuNs, byPid };
}

/** The cores a process (or one of its threads) may run on, as /proc says ("0-1"), or null. */
export function affinityOf(pid: number, tid = pid): string | null {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Samples a server's RSS (the sum over its processes) every `everyMs` until stopped; returns the peak (KiB) and the
 * CPU time its threads used meanwhile (ns), counted thread by thread over every process of its tree: each thread's
 * last reading minus its first (0 for one that started meanwhile). A thread that exits meanwhile (a thread pool
 * shrinking, a worker process leaving) keeps what it had used at the last sample before it went, so it neither
 * drives the sum down nor counts twice; it loses at most `everyMs` of its own CPU time, and a thread that starts and
 * ends between two samples is not seen. A thread id the kernel reuses meanwhile counts as the new thread it is.
 */
export function sampleUsage(pid: number, everyMs = 100): { stop(): { rssPeakKiB: number | null; cpuNs: number | null } } {
  const first = usageOf(pid);
  let peak = first?.rssKiB ?? 0;
  // Each thread's last reading, and the CPU time counted so far: what every thread used since the previous sample.
  const last = new Map<number, number>();
  for (const usage of first?.byPid.values() ?? []) for (const [tid, ns] of usage.threads) last.set(tid, ns);
  let used = 0;
  const read = () => {
    const now = usageOf(pid);
    if (!now) return;
    peak = Math.max(peak, now.rssKiB);
    for (const usage of now.byPid.values()) {
      for (const [tid, ns] of usage.threads) {
        const before = last.get(tid);
        // A thread not seen before started meanwhile; one whose reading went down is a new thread with a reused id.
        used += before === undefined || ns < before ? ns : ns - before;
        last.set(tid, ns);
      }
    }
  };
  const timer = setInterval(read, everyMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return first ? { rssPeakKiB: peak, cpuNs: used } : { rssPeakKiB: null, cpuNs: null };
    },
  };
}

/** bash's `times` prints the shell's then its children's user and system time: the last line is the child's, in s. */
export function parseTimes(output: string): number | null {
  const lines = output.trim().split("\n").filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l.trim()));
  const children = lines.at(-1);
  if (!children) return null;
  return children
    .trim()
    .split(" ")
    .map((t) => {
      const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(t)!;
      return Number(m) * 60 + Number(s);
    })
    .reduce((a, b) => a + b, 0);
}

export interface Measured {
  stdout: string;
  stderr: string;
  code: number | null;
  /** The program's CPU use over its run, % of one core (user + system); null if unknown. */
  cpuPct: number | null;
  /** The program's CPU time (user + system), s; null if unknown. */
  cpuS: number | null;
}

/**
 * Runs a load program on the load core (LOAD_CORE unless the run's pinning says otherwise) under bash, whose `times`
 * then reports the program's own CPU time, so a saturated generator can be flagged. Killed after `killAfterMs`.
 */
export function runOnLoadCore(program: string, programArgs: string[], killAfterMs: number, core: number = LOAD_CORE): Promise<Measured> {
  const quoted = [program, ...programArgs].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const { command, args } = onCore(core, "bash", ["-c", `${quoted}; status=$?; times; exit $status`]);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Its own process group: bash stays the parent of the tool, and a timeout must kill both.
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    track(child, "group");
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c));
    child.stderr!.on("data", (c: Buffer) => (stderr += c));
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, killAfterMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(killer);
      const wallS = (performance.now() - started) / 1000;
      const cpuS = parseTimes(stdout);
      resolve({ stdout, stderr, code, cpuS, cpuPct: cpuS === null || wallS <= 0 ? null : (100 * cpuS) / wallS });
    });
  });
}
