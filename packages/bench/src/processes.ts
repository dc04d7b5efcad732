// Server processes: start one pinned to a core, wait for its "listening on" line, read its memory and CPU
// time from /proc while it runs, and stop it (SIGTERM, then SIGKILL after a grace period).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export const HAS_TASKSET = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
/** Cores for the servers and for the load generator (with the upstream service beside it). */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** `command args` run on `core` when taskset exists. */
export function onCore(core: number, command: string, args: string[]): { command: string; args: string[] } {
  return HAS_TASKSET ? { command: "taskset", args: ["-c", String(core), command, ...args] } : { command, args };
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
  /** CPU time so far, ns: the sum over the process's threads of /proc/<pid>/task/<tid>/schedstat's first field. */
  cpuNs: number;
}

/** Pins this process (the orchestrator: the harness itself) to `core`, off the server's core. False without taskset. */
export function pinSelf(core: number): boolean {
  return HAS_TASKSET && spawnSync("taskset", ["-pc", String(core), String(process.pid)]).status === 0;
}

/**
 * The CPU time a process has used, ns, from the scheduler's own accounting (exact, unlike /proc/<pid>/stat's
 * 10 ms ticks): /proc/<pid>/task/<tid>/schedstat starts with the thread's time on a CPU in ns; summed over its
 * threads, the process. Threads that already exited are not counted, so a run's figure is a difference of two
 * readings of a process whose worker threads live for its whole life. Null when /proc cannot tell.
 */
export function cpuNsOf(pid: number): number | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let total = 0;
  let read = 0;
  for (const tid of tasks) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      read++;
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return read > 0 && Number.isFinite(total) ? total : null;
}

/** The process's resident set and CPU time so far, or null when /proc cannot tell (not Linux, exited). */
export function usageOf(pid: number): Usage | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const cpuNs = cpuNsOf(pid);
    return Number.isFinite(rss) && cpuNs !== null ? { rssKiB: rss, cpuNs } : null;
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

/** Starts `command` on `core`, resolving once it prints `listening on http://...`; rejects with the reason otherwise. */
export function startServer(
  name: string,
  spec: { command: string; args: string[] },
  options: { core: number; env?: Record<string, string>; timeoutMs?: number },
): Promise<Server> {
  const { command, args } = onCore(options.core, spec.command, spec.args);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
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

/** Samples a process's RSS every `everyMs` until stopped; returns the peak (KiB) and the CPU time used meanwhile (ns). */
export function sampleUsage(pid: number, everyMs = 100): { stop(): { rssPeakKiB: number | null; cpuNs: number | null } } {
  const first = usageOf(pid);
  let peak = first?.rssKiB ?? 0;
  let last = first;
  const timer = setInterval(() => {
    const now = usageOf(pid);
    if (now) {
      last = now;
      peak = Math.max(peak, now.rssKiB);
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const now = usageOf(pid) ?? last;
      if (now) peak = Math.max(peak, now.rssKiB);
      return { rssPeakKiB: first ? peak : null, cpuNs: first && now ? now.cpuNs - first.cpuNs : null };
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
 * Runs a load program on the load core under bash, whose `times` then reports the program's own CPU time,
 * so a saturated generator can be flagged. Killed after `killAfterMs`.
 */
export function runOnLoadCore(program: string, programArgs: string[], killAfterMs: number): Promise<Measured> {
  const quoted = [program, ...programArgs].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const { command, args } = onCore(LOAD_CORE, "bash", ["-c", `${quoted}; status=$?; times; exit $status`]);
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
