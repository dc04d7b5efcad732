// `serve --workers` and `--limit-max-requests` on every runtime, with real processes: workers share one port, SIGTERM
// closes every worker gracefully (exit 0), a killed worker is restarted, a failed startup stops it all (exit 1).

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { get } from "node:http";
import { fileURLToPath } from "node:url";
import { App } from "@asyncview/core";
import { serve } from "@asyncview/node";
import { describe, expect, it } from "vitest";
import { APP_ENV, RUNTIMES } from "../src/args.ts";
import { pinned } from "../src/runtime-command.ts";

const launcher = fileURLToPath(new URL("../src/serve.ts", import.meta.url));
const APP = fileURLToPath(new URL("./fixtures/workers-app.ts", import.meta.url));
const SCRIPT = fileURLToPath(new URL("./fixtures/workers-server.ts", import.meta.url));
const { [APP_ENV]: _unset, ...env } = process.env;

interface Served {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `asyncview serve` (the launcher, as a user does) with `flags`; `url` once it printed "listening on". */
function launch(runtime: string, flags: string[], extraEnv: Record<string, string> = {}): Served {
  const threads = runtime === "blocking" ? ["--threads", "4"] : [];
  return start(process.execPath, [launcher, "--runtime", runtime, "--port", "0", ...threads, ...flags, APP], extraEnv);
}

/** Runs the server script that calls serve(app, { workers: 2 }) itself, under the runtime's own binary. */
function runScript(runtime: string): Served {
  const [command, ...flags] =
    runtime === "bun" ? [pinned("bun")] : runtime === "deno" ? [pinned("deno"), "run", "--allow-all"] : [process.execPath];
  return start(command!, [...flags, SCRIPT, runtime]);
}

function start(command: string, args: string[], extraEnv: Record<string, string> = {}): Served {
  const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // The exit, then its last output: "close" (the pipes read to their end), bounded since a worker left alive would hold
  // them open (the tests then see that worker, not a hang).
  const exited = once(child, "exit").then(async ([code, signal]) => {
    await Promise.race([once(child, "close"), new Promise((r) => setTimeout(r, 2000))]);
    return { code, signal } as { code: number | null; signal: NodeJS.Signals | null };
  });
  return { child, output: () => output, exited };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, output: () => string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}:\n${output()}`);
}

async function listening(served: Served): Promise<string> {
  return until(() => /listening on (http:\/\/\S+)/.exec(served.output())?.[1], '"listening on"', served.output, 30_000);
}

/** One GET on a connection of its own (no keep-alive), so each may reach a different worker. */
function fetchFresh(url: string): Promise<{ status: number; pid: number }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, pid: (JSON.parse(body) as { pid: number }).pid }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** The worker pids seen over `n` fresh connections (each request must succeed). */
async function pidsOver(url: string, n: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < n; i++) {
    const { status, pid } = await fetchFresh(`${url}/pid`);
    expect(status).toBe(200);
    pids.add(pid);
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends a server a test left running (a failed assertion), so no process outlives the test. */
async function cleanup(served: Served): Promise<void> {
  if (served.child.exitCode !== null || served.child.signalCode !== null) return;
  served.child.kill("SIGTERM");
  const timer = setTimeout(() => served.child.kill("SIGKILL"), 15_000);
  await served.exited;
  clearTimeout(timer);
}

describe("serve options", () => {
  it("refuses workers and limitMaxRequests that are not positive integers, naming them", async () => {
    await expect(serve(new App(), { port: 0, workers: 0 })).rejects.toThrow(/workers must be an integer of at least 1, got 0/);
    await expect(serve(new App(), { port: 0, workers: 1.5 })).rejects.toThrow(/workers must be an integer of at least 1, got 1\.5/);
    await expect(serve(new App(), { port: 0, limitMaxRequests: -1 })).rejects.toThrow(/limitMaxRequests must be an integer/);
  });
});

describe.each(RUNTIMES)("serve --workers on %s", (runtime) => {
  it.each([
    ["the CLI's --workers 2", () => launch(runtime, ["--workers", "2"])],
    ["serve(app, { workers: 2 }) from code", () => runScript(runtime)],
  ])("%s: two workers answer on one port, SIGTERM lets in-flight requests finish, runs each worker's shutdown hooks and exits 0", async (_how, begin) => {
    const served = begin();
    try {
      const url = await listening(served);
      expect(served.output().match(/listening on/g)).toHaveLength(1);
      const pids = await pidsOver(url, 40);
      expect(pids.size).toBe(2);
      expect(pids.has(served.child.pid!)).toBe(false);
      // Requests in flight (4 connections spread over the two workers), then SIGTERM to the command. Four, so that a
      // blocking worker holds them all on its threads (2 x cores + 1 = 5 here) however the kernel spreads them: a
      // request still queued for a thread is answered 503 shutting_down at SIGTERM, by design (README).
      const inFlight = Array.from({ length: 4 }, () => fetchFresh(`${url}/sleep?ms=1500`));
      await new Promise((r) => setTimeout(r, 500));
      served.child.kill("SIGTERM");
      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(Array(4).fill(200));
      expect(await served.exited).toEqual({ code: 0, signal: null });
      for (const pid of pids) {
        expect(served.output()).toContain(`shutdown hook ran in pid ${pid}`);
        expect(alive(pid)).toBe(false);
      }
      // Each worker's log lines carry its index.
      for (const index of [0, 1]) expect(served.output()).toMatch(new RegExp(`"msg":"workers-app started","worker":${index},"pid":\\d+`));
    } finally {
      await cleanup(served);
    }
  });

  it("restarts a worker killed with SIGKILL (logged) while the port keeps serving", async () => {
    const served = launch(runtime, ["--workers", "2"]);
    try {
      const url = await listening(served);
      const before = await pidsOver(url, 40);
      expect(before.size).toBe(2);
      const [victim, survivor] = [...before] as [number, number];
      process.kill(victim, "SIGKILL");
      await until(() => (alive(victim) ? undefined : true), "the killed worker to be gone", served.output);
      // Every request is answered meanwhile, by the survivor until the replacement joins.
      const after = await until(
        async () => {
          const pids = await pidsOver(url, 10);
          return [...pids].some((pid) => pid !== survivor) ? pids : undefined;
        },
        "a replacement worker to answer",
        served.output,
      );
      expect(after.has(victim)).toBe(false);
      expect(served.output()).toMatch(new RegExp(`worker \\d \\(pid ${victim}\\) killed by SIGKILL unexpectedly; restarting it in \\d+ ms`));
      served.child.kill("SIGTERM");
      expect(await served.exited).toEqual({ code: 0, signal: null });
    } finally {
      await cleanup(served);
    }
  });

  it("stops every worker and exits 1 with the error once when a worker's startup hook throws", async () => {
    const served = launch(runtime, ["--workers", "2"], { FAIL_WORKER: "1" });
    try {
      expect(await served.exited).toEqual({ code: 1, signal: null });
      const output = served.output();
      expect(output).not.toContain("listening on");
      expect(output.match(/startup boom in worker 1/g), output).toHaveLength(1);
      expect(output).toMatch(/error: worker 1 \(pid \d+\) failed to start: startup boom in worker 1/);
      const started = [...output.matchAll(/startup hook ran in pid (\d+)/g)].map((m) => Number(m[1]));
      expect(new Set(started).size).toBe(2); // worker 0 had started: it was stopped, not orphaned
      for (const pid of started) expect(alive(pid)).toBe(false);
    } finally {
      await cleanup(served);
    }
  });

  it("--limit-max-requests 5 with one worker: the worker retires and is replaced, and no request fails", async () => {
    const served = launch(runtime, ["--limit-max-requests", "5"]);
    try {
      const url = await listening(served);
      // Requests one after another, each on a new connection, until another process answers (the old worker serves
      // until its replacement listens, so that takes more than 5 requests); every one must succeed.
      const order: number[] = [];
      const deadline = Date.now() + 20_000;
      // Deno's shutdown() closes a connection it accepted but has not read yet, which JS cannot prevent (README,
      // Workers): on Deno one request racing the retirement may fail that way; none may on the other runtimes.
      let racedRetirement = 0;
      while (new Set(order).size < 2 && Date.now() < deadline) {
        const answer = await fetchFresh(`${url}/pid`).catch((error: unknown) => {
          if (runtime !== "deno" || racedRetirement++ > 0) throw error;
          return undefined;
        });
        if (answer !== undefined) {
          expect(answer.status).toBe(200);
          order.push(answer.pid);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const first = order[0]!;
      expect(order.length).toBeGreaterThan(5);
      expect(order.slice(0, 5)).toEqual(Array(5).fill(first));
      expect(new Set(order).size).toBe(2);
      expect(served.output()).toMatch(new RegExp(`worker 0 \\(pid ${first}\\) served 5 requests`));
      await until(() => (served.output().includes(`worker 0 (pid ${first}) retired`) ? true : undefined), "the retirement", served.output);
      expect(served.output()).not.toMatch(/unexpectedly/);
      served.child.kill("SIGTERM");
      expect(await served.exited).toEqual({ code: 0, signal: null });
    } finally {
      await cleanup(served);
    }
  });
});
